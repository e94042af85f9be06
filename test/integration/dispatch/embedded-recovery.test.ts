import test from 'ava';
import { startDispatchApp, type DispatchApp } from '../../helpers/dispatch-app.js';
import { script, seedPipeline, waitFor } from '../../helpers/dispatch-fixtures.js';
import { spawnWorker } from '../../helpers/worker-process.js';

// The embedded dispatcher (no REDIS_URL) in a real child process: what a crash leaves is recovered
// at the next start, and SIGTERM drains. This process stands for "the next start".

let app: DispatchApp;
test.before(async () => {
  app = await startDispatchApp({ mode: 'embedded', worker: false });
});
test.after.always(async () => {
  await app?.close();
});

const job = async (id: number) => (await app.api('GET', `/api/v1/jobs/${id}`)).body;

function embeddedProcess(t: { teardown(fn: () => void): void }, pipelineId: number, runParams: unknown, extra: Record<string, string> = {}) {
  const w = spawnWorker({
    DATABASE_URL: app.store.url!,
    TRIGGER_PIPELINE_ID: String(pipelineId),
    RUN_PARAMS: JSON.stringify(runParams),
    WORKER_CONCURRENCY: '1',
    ...extra,
  });
  t.teardown(() => w.kill('SIGKILL'));
  return w;
}

test.serial('jobs a crashed process left running are failed at the next start; the ones it held queued run', async (t) => {
  const { pipelineId } = await seedPipeline(app.store.db, { maxParallelRuns: 2 });
  const w = embeddedProcess(t, pipelineId, script({ sleep_ms: 60_000 }).run_params, { TRIGGER_COUNT: '2' });
  await w.line((l) => l.ready);
  const [first, second] = w.lines.filter((l) => l.triggered).map((l) => l.triggered as number);
  await waitFor('the first job to run', async () => (await job(first!)).status === 'running', 10_000);
  t.is((await job(second!)).status, 'queued', 'concurrency 1: the second waits in memory');
  w.kill('SIGKILL');
  await w.exited;
  t.is((await job(first!)).status, 'running', 'nothing can tell the table the process died');

  const next = await app.dispatch.startWorker({ runner: app.runner, workerId: 'next-start', concurrency: 1 });
  t.teardown(() => next.close());
  const failed = await job(first!);
  t.is(failed.status, 'failed');
  t.is(failed.error_code, 'UNAVAILABLE');
  t.regex(failed.error_message, /interrupted/);
  t.is((await app.api('GET', `/api/v1/runs/${failed.run_id}`)).body.status, 'failed');
  const requeued = await waitFor('the held job to run', async () => {
    const j = await job(second!);
    return j.status === 'running' && j.worker_id === 'next-start' ? j : undefined;
  }, 5000);
  t.is(requeued.attempt, 1);
  t.is((await app.api('POST', `/api/v1/jobs/${second}/cancel`, {})).status, 202);
  await waitFor('cancelled', async () => (await job(second!)).status === 'cancelled', 5000);
});

test.serial('SIGTERM drains the embedded process: the running job finishes before it exits', async (t) => {
  const { pipelineId } = await seedPipeline(app.store.db);
  const w = embeddedProcess(t, pipelineId, script({ sleep_ms: 1200, rows: 5 }).run_params, { WORKER_SHUTDOWN_TIMEOUT_MS: '10000' });
  const { triggered } = await w.line((l) => l.triggered);
  await waitFor('running', async () => (await job(triggered)).status === 'running', 10_000);
  w.kill('SIGTERM');
  t.deepEqual((await w.line((l) => Array.isArray(l.draining))).draining, [triggered]);
  t.is((await w.exited).code, 0);
  const end = await job(triggered);
  t.is(end.status, 'success');
  t.is((await app.api('GET', `/api/v1/runs/${end.run_id}`)).body.total_loaded, 5);
});
