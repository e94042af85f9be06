import test from 'ava';
import { pipelineRepo } from '../../../src/store/repos/pipeline-repo.js';
import { startDispatchApp, type DispatchApp } from '../../helpers/dispatch-app.js';
import { script, seedPipeline, waitFor } from '../../helpers/dispatch-fixtures.js';
import type { WorkerHandle } from '../../../src/scheduler/dispatch.js';

// Jobs, runs, SSE and metrics endpoints over BullMQ. Serial: the first test needs jobs nobody takes.

let app: DispatchApp;
let worker: WorkerHandle | undefined;
test.before(async () => {
  app = await startDispatchApp({ mode: 'bullmq', worker: false });
});
test.after.always(async () => {
  await app?.close();
});

async function withWorker(): Promise<void> {
  worker ??= await app.dispatch.startWorker({ runner: app.runner, workerId: 'api-test-worker' });
}
const job = async (id: number) => (await app.api('GET', `/api/v1/jobs/${id}`)).body;
const finished = (id: number) =>
  waitFor(`job ${id} to finish`, async () => {
    const j = await job(id);
    return ['success', 'failed', 'cancelled'].includes(j.status) ? j : undefined;
  });

test.serial('a queued job is cancelled at once and leaves the queue; it can then be retried', async (t) => {
  const { pipelineId } = await seedPipeline(app.store.db);
  const res = await app.api('POST', `/api/v1/pipelines/${pipelineId}/run`);
  t.is(res.status, 202, res.text);
  t.is((await job(res.body.job_id)).status, 'queued');
  t.is((await app.dispatch.producer.depth()).waiting, 1);
  const cancel = await app.api('POST', `/api/v1/jobs/${res.body.job_id}/cancel`, { reason: 'not today' });
  t.is(cancel.status, 200);
  t.deepEqual(cancel.body, { job_id: res.body.job_id, status: 'cancelled', message: `job ${res.body.job_id} cancelled` });
  t.is((await app.dispatch.producer.depth()).waiting, 0);
  const j = await job(res.body.job_id);
  t.is(j.status, 'cancelled');
  t.is(j.cancel_reason, 'not today');
  t.truthy(j.completed_at);
  t.is((await app.api('GET', `/api/v1/runs/${res.body.run_id}`)).body.status, 'cancelled');
  await withWorker();
  const retry = await app.api('POST', `/api/v1/jobs/${res.body.job_id}/retry`, {});
  t.is(retry.status, 202);
  t.is((await finished(retry.body.job_id)).status, 'success');
});

test.serial('trigger refusals: unknown pipeline 404, archived or unpublished 409, bad input 422', async (t) => {
  t.is((await app.api('POST', '/api/v1/pipelines/999999/run')).status, 404);
  const { pipelineId } = await seedPipeline(app.store.db);
  await pipelineRepo.update(app.store.db, pipelineId, { status: 'archived' });
  const archived = await app.api('POST', `/api/v1/pipelines/${pipelineId}/run`);
  t.is(archived.status, 409);
  t.regex(archived.body.error.message, /archived/);
  const bare = await pipelineRepo.insert(app.store.db, { name: `bare-${Date.now()}`, schedule_enabled: false, schedule_timezone: 'UTC', max_parallel_runs: 1, priority: 5 });
  const unpublished = await app.api('POST', `/api/v1/pipelines/${bare}/trigger`, {});
  t.is(unpublished.status, 409);
  t.regex(unpublished.body.error.message, /no published version/);
  const bad = await app.api('POST', `/api/v1/pipelines/${bare}/trigger`, { run_params: 'x', version_id: -1, async_execution: 'maybe' });
  t.is(bad.status, 422);
  t.deepEqual(bad.body.error.details.map((d: any) => d.field).sort(), ['async_execution', 'run_params', 'version_id']);
  t.is((await app.api('POST', `/api/v1/pipelines/${bare}/run?wait=perhaps`)).status, 422);
});

test.serial('jobs and runs are listed newest first with filters; logs filter by level; unknown ids are 404', async (t) => {
  await withWorker();
  const { pipelineId } = await seedPipeline(app.store.db, { maxParallelRuns: 3 });
  const ok = await app.api('POST', `/api/v1/pipelines/${pipelineId}/run?wait=true`, script({ rows: 4 }));
  const bad = await app.api('POST', `/api/v1/pipelines/${pipelineId}/run?wait=true`, script({ fail: 'permanent' }));
  const all = (await app.api('GET', `/api/v1/jobs?pipeline_id=${pipelineId}`)).body;
  t.is(all.total, 2);
  t.deepEqual(all.jobs.map((j: any) => j.id), [bad.body.job_id, ok.body.job_id]);
  t.is(all.jobs[1].run_id, ok.body.run_id);
  const failed = (await app.api('GET', `/api/v1/jobs?pipeline_id=${pipelineId}&status=failed`)).body;
  t.deepEqual(failed.jobs.map((j: any) => j.id), [bad.body.job_id]);
  const paged = (await app.api('GET', `/api/v1/jobs?pipeline_id=${pipelineId}&limit=1&offset=1`)).body;
  t.deepEqual([paged.total, paged.limit, paged.offset, paged.jobs[0].id], [2, 1, 1, ok.body.job_id]);
  t.is((await app.api('GET', '/api/v1/jobs?status=exploded')).status, 422);
  const errors = (await app.api('GET', `/api/v1/jobs/${bad.body.job_id}/logs?level=error`)).body.logs;
  t.true(errors.length >= 1 && errors.every((l: any) => l.level === 'error'));
  t.is((await app.api('GET', '/api/v1/jobs/999999')).status, 404);
  t.is((await app.api('GET', '/api/v1/jobs/999999/logs')).status, 404);

  const runs = (await app.api('GET', `/api/v1/runs?pipeline_id=${pipelineId}&status=completed`)).body;
  t.deepEqual(runs.runs.map((r: any) => [r.id, r.run_number]), [[ok.body.run_id, 1]]);
  const steps = (await app.api('GET', `/api/v1/runs/${ok.body.run_id}/steps`)).body.steps;
  t.deepEqual(steps.map((s: any) => s.node_key), ['extract', 'load']);
  const stepLogs = await app.api('GET', `/api/v1/runs/${ok.body.run_id}/steps/${steps[0].id}/logs`);
  t.is(stepLogs.status, 200);
  t.deepEqual(stepLogs.body.logs, []);
  t.is((await app.api('GET', `/api/v1/runs/${ok.body.run_id}/steps/999999/logs`)).status, 404);
  t.is((await app.api('GET', '/api/v1/runs/999999')).status, 404);
});

/** Reads an SSE response to its end (or `maxMs`) and parses the events. */
async function readEvents(path: string, maxMs = 15_000): Promise<Array<{ event: string; id?: string; data: any }>> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), maxMs);
  const res = await fetch(app.url + path, { signal: ac.signal });
  if (res.status !== 200) throw new Error(`${res.status} ${await res.text()}`);
  const text = await res.text().finally(() => clearTimeout(timer));
  return text
    .split('\n\n')
    .filter((b) => b.trim() !== '')
    .map((block) => {
      const f = Object.fromEntries(block.split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]));
      return { event: f.event!, id: f.id, data: JSON.parse(f.data!) };
    });
}

test.serial('GET /jobs/{id}/events streams status, log lines and rows per second, then ends with the outcome', async (t) => {
  await withWorker();
  const { pipelineId } = await seedPipeline(app.store.db);
  const res = await app.api('POST', `/api/v1/pipelines/${pipelineId}/run`, script({ sleep_ms: 1500, rows: 3000 }));
  const head = await fetch(`${app.url}/api/v1/jobs/${res.body.job_id}/events`);
  t.is(head.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  await head.body?.cancel();
  const events = await readEvents(`/api/v1/jobs/${res.body.job_id}/events`);
  const kinds = new Set(events.map((e) => e.event));
  t.true(kinds.has('status') && kinds.has('log') && kinds.has('progress'));
  const last = events[events.length - 1]!;
  t.is(last.event, 'end');
  t.is(last.data.status, 'success');
  t.is(last.data.total_loaded, 3000);
  const rates = events.filter((e) => e.event === 'progress').map((e) => e.data.rows_per_second as number);
  t.true(rates.some((r) => r > 0), `no positive rows/s in ${JSON.stringify(rates)}`);
  const logIds = events.filter((e) => e.event === 'log').map((e) => Number(e.id));
  t.deepEqual(logIds, [...logIds].sort((a, b) => a - b));
  t.true(events.some((e) => e.event === 'log' && e.data.source === 'runner'));
  // A finished job answers its history and the end at once; Last-Event-ID skips lines already seen.
  const replay = await readEvents(`/api/v1/jobs/${res.body.job_id}/events`, 3000);
  t.is(replay[replay.length - 1]!.event, 'end');
  const resumed = await fetch(`${app.url}/api/v1/jobs/${res.body.job_id}/events`, { headers: { 'Last-Event-ID': String(logIds[logIds.length - 1]) } });
  t.false((await resumed.text()).includes('event: log'));
  t.is((await app.api('GET', '/api/v1/jobs/999999/events')).status, 404);
});

test.serial('GET /metrics answers Prometheus text: jobs and runs by status, rows per pipeline and step, durations, queue depth', async (t) => {
  await withWorker();
  const { pipelineId } = await seedPipeline(app.store.db);
  const done = await app.api('POST', `/api/v1/pipelines/${pipelineId}/run?wait=true`, script({ rows: 1234 }));
  t.is(done.body.status, 'success');
  for (const path of ['/metrics', '/api/v1/metrics']) {
    const res = await app.api('GET', path);
    t.is(res.status, 200);
    t.regex(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const lines = res.text.split('\n');
    const value = (prefix: string) => Number(lines.find((l) => l.startsWith(prefix))?.split(' ').pop());
    t.true(value('synqx_jobs{status="success"}') >= 1);
    t.true(value('synqx_runs{status="completed"}') >= 1);
    t.is(value(`synqx_pipeline_rows_loaded_total{pipeline_id="${pipelineId}"`), 1234);
    t.is(value(`synqx_step_records_total{pipeline_id="${pipelineId}",step="load",operator_type="load",direction="out"}`), 1234);
    t.true(value('synqx_run_duration_seconds_count') >= 1);
    t.is(value('synqx_run_duration_seconds_bucket{le="+Inf"}'), value('synqx_run_duration_seconds_count'));
    t.is(value('synqx_queue_up{queue="bullmq"}'), 1);
    t.false(Number.isNaN(value('synqx_queue_depth{queue="bullmq",state="waiting"}')));
    t.true(lines.includes('# TYPE synqx_run_duration_seconds histogram'));
  }
});
