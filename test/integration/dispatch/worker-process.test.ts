import test from 'ava';
import { createLogger } from '../../../src/platform/logger.js';
import type { BullProducer } from '../../../src/scheduler/bullmq-producer.js';
import { createDispatch } from '../../../src/scheduler/dispatch.js';
import { stallBoundMs } from '../../../src/scheduler/dispatch-config.js';
import { DispatchServiceFactory } from '../../../src/services/dispatch-service-factory.js';
import { startDispatchApp, testDispatchConfig, type DispatchApp } from '../../helpers/dispatch-app.js';
import { script, seedPipeline, TEST_REDIS_URL, waitFor } from '../../helpers/dispatch-fixtures.js';
import { spawnWorker, type WorkerProcess } from '../../helpers/worker-process.js';

// BullMQ workers in their own processes; this process is the API (and, where said, a scheduler or worker).
// Serial: a worker started here would otherwise take another test's jobs.

const LOCK_MS = 2000;
const STALLED_INTERVAL_MS = 500;
let app: DispatchApp;

test.before(async () => {
  app = await startDispatchApp({ mode: 'bullmq', worker: false, config: { lockMs: LOCK_MS, stalledIntervalMs: STALLED_INTERVAL_MS } });
});
test.after.always(async () => {
  await app?.close();
});

function worker(t: { teardown(fn: () => void): void }, extra: Record<string, string> = {}): WorkerProcess {
  const w = spawnWorker({
    DATABASE_URL: app.store.url!,
    REDIS_URL: TEST_REDIS_URL,
    SYNQX_QUEUE_PREFIX: app.prefix,
    JOB_LOCK_MS: String(LOCK_MS),
    STALLED_INTERVAL_MS: String(STALLED_INTERVAL_MS),
    CANCEL_POLL_MS: '300',
    RETRY_BACKOFF_MS: '50',
    WORKER_CONCURRENCY: '2',
    ...extra,
  });
  t.teardown(() => w.kill('SIGKILL'));
  return w;
}

const job = async (id: number) => (await app.api('GET', `/api/v1/jobs/${id}`)).body;
const runnerAttempts = async (id: number) =>
  (await app.api('GET', `/api/v1/jobs/${id}/logs`)).body.logs.filter((l: any) => l.source === 'runner').map((l: any) => l.metadata_payload.worker_id as string);

async function triggerRunningOn(w: WorkerProcess, s: Record<string, unknown>, maxRetries = 0): Promise<number> {
  const { workerId } = await w.line((l) => l.ready);
  const { pipelineId } = await seedPipeline(app.store.db, { maxRetries });
  const res = await app.api('POST', `/api/v1/pipelines/${pipelineId}/run`, script(s));
  if (res.status !== 202) throw new Error(res.text);
  await waitFor('the job to run in the worker process', async () => {
    const j = await job(res.body.job_id);
    return j.status === 'running' && j.worker_id === workerId;
  }, 15_000);
  // `running` is recorded before the runner starts; a kill in between would leave no first attempt
  // for the scripted runner to recognise the next one as a re-run (it would sleep the full sleep_ms).
  await waitFor('the runner to start in the worker process', async () => (await runnerAttempts(res.body.job_id)).includes(workerId), 15_000);
  return res.body.job_id;
}

test.serial('cancel from another process stops the job within seconds, and it is not retried', async (t) => {
  const w = worker(t);
  const id = await triggerRunningOn(w, { sleep_ms: 30_000, rows: 1000 }, 3);
  const asked = Date.now();
  const res = await app.api('POST', `/api/v1/jobs/${id}/cancel`, { reason: 'stop it' });
  t.is(res.status, 202);
  const end = await waitFor('cancelled', async () => ((await job(id)).status === 'cancelled' ? job(id) : undefined), 5000, 20);
  const latency = Date.now() - asked;
  t.log(`cancel latency across processes: ${latency} ms`);
  t.true(latency < 3000);
  t.is(end.cancel_reason, 'stop it');
  await new Promise((r) => setTimeout(r, 1000));
  t.is((await job(id)).status, 'cancelled');
  t.is((await runnerAttempts(id)).length, 1, 'not retried');
  t.is(await (app.dispatch.producer as BullProducer).queue.getJobState(`run-${id}`), 'completed');
  w.kill('SIGTERM');
  t.is((await w.exited).code, 0);
});

test.serial('kill -9 mid-run: the job leaves running within the stall bound and runs again on a live worker', async (t) => {
  const w = worker(t);
  const { workerId: dead } = await w.line((l) => l.ready);
  const id = await triggerRunningOn(w, { sleep_ms: 60_000, rerun_sleep_ms: 200, rows: 50 });
  const rescuer = await app.dispatch.startWorker({ runner: app.runner, workerId: 'rescuer' });
  t.teardown(() => rescuer.close());
  const killed = Date.now();
  w.kill('SIGKILL');
  await w.exited;
  await waitFor('the job to leave running', async () => (await job(id)).status !== 'running' || (await job(id)).worker_id === 'rescuer', stallBoundMs({ lockMs: LOCK_MS, stalledIntervalMs: STALLED_INTERVAL_MS }) + 2000, 20);
  const detected = Date.now() - killed;
  t.log(`stalled job detected ${detected} ms after kill -9 (bound ${stallBoundMs({ lockMs: LOCK_MS, stalledIntervalMs: STALLED_INTERVAL_MS })} ms)`);
  const end = await waitFor('the re-run to finish', async () => ((await job(id)).status === 'success' ? job(id) : undefined), 10_000);
  t.is(end.worker_id, 'rescuer');
  t.deepEqual(await runnerAttempts(id), [dead, 'rescuer']);
  const logs = (await app.api('GET', `/api/v1/jobs/${id}/logs`)).body.logs.map((l: any) => l.message).join('\n');
  // Either the stall report or the rescuer's takeover (whichever came first) names the dead worker.
  t.regex(logs, new RegExp(`worker ${dead} stopped`));
  t.is((await app.api('GET', `/api/v1/runs/${end.run_id}`)).body.total_loaded, 50);
});

test.serial('kill -9 with no other worker alive: the scheduler notices the stall; past maxStalledCount the job fails', async (t) => {
  const silent = createLogger({ level: 'silent', json: true });
  const strict = await createDispatch({ serviceFactory: new DispatchServiceFactory(app.store.db), logger: silent, config: testDispatchConfig('bullmq', app.prefix, { lockMs: LOCK_MS, stalledIntervalMs: STALLED_INTERVAL_MS, maxStalledCount: 0 }) });
  t.teardown(() => strict.close());
  await strict.startScheduler({ schedulerId: 'watcher' });
  const w = worker(t);
  const id = await triggerRunningOn(w, { sleep_ms: 60_000 });
  const killed = Date.now();
  w.kill('SIGKILL');
  const end = await waitFor('the job to fail', async () => ((await job(id)).status === 'failed' ? job(id) : undefined), stallBoundMs({ lockMs: LOCK_MS, stalledIntervalMs: STALLED_INTERVAL_MS }) + 2000, 20);
  t.log(`stalled job failed ${Date.now() - killed} ms after kill -9`);
  t.is(end.error_code, 'UNAVAILABLE');
  t.regex(end.error_message, /worker lost/);
  t.is((await app.api('GET', `/api/v1/runs/${end.run_id}`)).body.status, 'failed');
});

test.serial('SIGTERM drains: the running job finishes, no new job is taken, the process exits 0', async (t) => {
  const w = worker(t, { WORKER_SHUTDOWN_TIMEOUT_MS: '10000' });
  const id = await triggerRunningOn(w, { sleep_ms: 1500, rows: 10 });
  w.kill('SIGTERM');
  const draining = await w.line((l) => Array.isArray(l.draining));
  t.deepEqual(draining.draining, [id]);
  const { pipelineId } = await seedPipeline(app.store.db);
  const later = await app.api('POST', `/api/v1/pipelines/${pipelineId}/run`, script({}));
  const exit = await w.exited;
  t.is(exit.code, 0);
  t.is((await job(id)).status, 'success');
  const waiting = await job(later.body.job_id);
  t.is(waiting.status, 'queued', 'a draining worker takes no new job');
  t.is(waiting.worker_id, null);
  await app.api('POST', `/api/v1/jobs/${later.body.job_id}/cancel`, {});
});

test.serial('SIGTERM past the shutdown timeout stops the job and queues it again without spending an attempt', async (t) => {
  const w = worker(t, { WORKER_SHUTDOWN_TIMEOUT_MS: '300' });
  const id = await triggerRunningOn(w, { sleep_ms: 60_000, rerun_sleep_ms: 100 });
  const sent = Date.now();
  w.kill('SIGTERM');
  t.is((await w.exited).code, 0);
  t.log(`worker exited ${Date.now() - sent} ms after SIGTERM`);
  t.is((await job(id)).status, 'queued');
  const rescuer = await app.dispatch.startWorker({ runner: app.runner, workerId: 'after-shutdown' });
  t.teardown(() => rescuer.close());
  const end = await waitFor('the job to finish elsewhere', async () => ((await job(id)).status === 'success' ? job(id) : undefined), 10_000);
  t.is(end.attempt, 1);
  t.is(end.worker_id, 'after-shutdown');
});
