import test from 'ava';
import type { StoreKind } from '../../helpers/stores.js';
import { startDispatchApp, type DispatchApp } from '../../helpers/dispatch-app.js';
import { publishNewVersion, script, seedPipeline, waitFor, type DispatchMode, type SeedOptions } from '../../helpers/dispatch-fixtures.js';

/**
 * The run lifecycle through the HTTP API, the same for every dispatcher: each test file calls this
 * with one mode, so BullMQ and the embedded dispatcher pass the very same assertions.
 */
export function lifecycleSuite(mode: DispatchMode, store: StoreKind = 'postgres'): void {
  let app: DispatchApp;
  const tag = `[${mode}/${store}]`;

  test.before(async () => {
    app = await startDispatchApp({ mode, store });
  });
  test.after.always(async () => {
    await app?.close();
  });

  const pipeline = (o: SeedOptions = {}) => seedPipeline(app.store.db, o);
  const job = async (id: number) => (await app.api('GET', `/api/v1/jobs/${id}`)).body;
  const finished = (id: number, timeoutMs = 10_000) =>
    waitFor(`job ${id} to finish`, async () => {
      const j = await job(id);
      return ['success', 'failed', 'cancelled'].includes(j.status) ? j : undefined;
    }, timeoutMs);
  const callsFor = (id: number) => app.runner.calls.filter((c) => c.jobId === id);

  test(`${tag} trigger → 202 queued, then success with the runner's counters, every transition logged`, async (t) => {
    const { pipelineId, versionId } = await pipeline();
    const res = await app.api('POST', `/api/v1/pipelines/${pipelineId}/run`, script({ rows: 500, sleep_ms: 300 }));
    t.is(res.status, 202, res.text);
    t.is(res.body.status, 'queued');
    t.is(res.body.version_id, versionId);
    t.true(Number.isInteger(res.body.job_id) && Number.isInteger(res.body.run_id));
    t.regex(res.body.message, /queued/);
    const done = await finished(res.body.job_id);
    t.is(done.status, 'success');
    t.is(done.error_message, null);
    t.is(done.run_id, res.body.run_id);
    t.true(new Date(done.queued_at) <= new Date(done.started_at) && new Date(done.started_at) <= new Date(done.completed_at));
    const run = (await app.api('GET', `/api/v1/runs/${res.body.run_id}`)).body;
    t.is(run.status, 'completed');
    t.is(run.total_extracted, 500);
    t.is(run.total_loaded, 500);
    t.is(run.pipeline_version_id, versionId);
    t.deepEqual(run.step_runs.map((s: any) => [s.node_key, s.records_out, s.status]), [
      ['extract', 500, 'success'],
      ['load', 500, 'success'],
    ]);
    const logs = (await app.api('GET', `/api/v1/jobs/${res.body.job_id}/logs`)).body.logs;
    const transitions = logs.filter((l: any) => l.source === 'dispatcher').map((l: any) => l.metadata_payload.status);
    t.deepEqual(transitions, ['pending', 'queued', 'running', 'success']);
    t.true(logs.every((l: any) => typeof l.timestamp === 'string'));
  });

  test(`${tag} ?wait=true answers the outcome: success, and failed for a permanent error`, async (t) => {
    const { pipelineId } = await pipeline();
    const ok = await app.api('POST', `/api/v1/pipelines/${pipelineId}/run?wait=true`, script({ rows: 7, sleep_ms: 100 }));
    t.is(ok.status, 200, ok.text);
    t.is(ok.body.status, 'success');
    t.regex(ok.body.message, /succeeded/);
    t.is((await job(ok.body.job_id)).status, 'success');
    const bad = await app.api('POST', `/api/v1/pipelines/${pipelineId}/trigger`, { ...script({ fail: 'permanent' }), async_execution: false });
    t.is(bad.status, 200, bad.text);
    t.is(bad.body.status, 'failed');
    t.regex(bad.body.message, /scripted permanent failure/);
    t.is(bad.body.pipeline_id, pipelineId);
  });

  test(`${tag} a run pins its version: a version published later does not change a queued or running job`, async (t) => {
    const { pipelineId, versionId: v1 } = await pipeline({ maxParallelRuns: 3 });
    const first = await app.api('POST', `/api/v1/pipelines/${pipelineId}/run`, script({ sleep_ms: 400 }));
    t.is(first.status, 202);
    const v2 = await publishNewVersion(app.store.db, pipelineId);
    const second = await app.api('POST', `/api/v1/pipelines/${pipelineId}/run`, script({ sleep_ms: 10 }));
    const pinned = await app.api('POST', `/api/v1/pipelines/${pipelineId}/trigger`, { version_id: v1, ...script({}) });
    t.is(pinned.status, 202, pinned.text);
    t.is(first.body.version_id, v1);
    t.is(second.body.version_id, v2);
    t.is(pinned.body.version_id, v1);
    for (const [id, v] of [
      [first.body.job_id, v1],
      [second.body.job_id, v2],
      [pinned.body.job_id, v1],
    ]) {
      const j = await finished(id);
      t.is(j.pipeline_version_id, v);
      t.is((await app.api('GET', `/api/v1/runs/${j.run_id}`)).body.pipeline_version_id, v);
    }
    const other = await pipeline();
    const foreign = await app.api('POST', `/api/v1/pipelines/${pipelineId}/trigger`, { version_id: other.versionId });
    t.is(foreign.status, 404);
  });

  test(`${tag} twenty simultaneous triggers with max_parallel_runs=1: exactly one runs, the others 409 naming it`, async (t) => {
    const { pipelineId } = await pipeline({ maxParallelRuns: 1 });
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => app.api('POST', `/api/v1/pipelines/${pipelineId}/run`, script({ sleep_ms: 5000 }))),
    );
    const accepted = answers.filter((a) => a.status === 202);
    const refused = answers.filter((a) => a.status === 409);
    t.is(accepted.length, 1, JSON.stringify(answers.map((a) => a.status)));
    t.is(refused.length, 19);
    const winner = accepted[0]!.body.job_id;
    for (const r of refused) {
      t.is(r.body.error.code, 'CONFLICT');
      t.is(r.body.error.details.running_job_id, winner);
      t.regex(r.body.error.message, new RegExp(`job ${winner}`));
    }
    const listed = (await app.api('GET', `/api/v1/jobs?pipeline_id=${pipelineId}`)).body;
    t.is(listed.total, 1);
    await app.api('POST', `/api/v1/jobs/${winner}/cancel`, { reason: 'test over' });
    t.is((await finished(winner)).status, 'cancelled');

    // Without HTTP in between the twenty transactions really overlap: only the row lock keeps this at one.
    const burst = await pipeline({ maxParallelRuns: 1 });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, () => app.services.runs.trigger(burst.pipelineId, { triggerType: 'api', runParams: script({ sleep_ms: 5000 }).run_params })),
    );
    const admitted = outcomes.filter((o) => o.status === 'fulfilled');
    t.is(admitted.length, 1);
    t.true(outcomes.every((o) => o.status === 'fulfilled' || (o.reason as { code?: string }).code === 'CONFLICT'));
    const only = (admitted[0] as PromiseFulfilledResult<{ job: { id: number } }>).value.job.id;
    await app.api('POST', `/api/v1/jobs/${only}/cancel`, {});
    await finished(only);
  });

  test(`${tag} transient errors retry with backoff up to the limit; permanent ones fail at once`, async (t) => {
    const flaky = await pipeline({ maxRetries: 2 });
    const exhausted = await app.api('POST', `/api/v1/pipelines/${flaky.pipelineId}/run`, script({ fail: 'transient' }));
    const end = await finished(exhausted.body.job_id);
    t.is(end.status, 'failed');
    t.is(end.error_code, 'CONNECTION_FAILED');
    t.is(end.attempt, 3);
    t.is(end.max_retries, 2);
    t.deepEqual(callsFor(end.id).map((c) => c.attempt), [1, 2, 3]);
    const statuses = (await app.api('GET', `/api/v1/jobs/${end.id}/logs`)).body.logs.filter((l: any) => l.source === 'dispatcher').map((l: any) => l.metadata_payload.status);
    t.deepEqual(statuses, ['pending', 'queued', 'running', 'retrying', 'running', 'retrying', 'running', 'failed']);

    const recovers = await app.api('POST', `/api/v1/pipelines/${flaky.pipelineId}/run`, script({ fail: 'transient', fail_times: 1, rows: 3 }));
    const ok = await finished(recovers.body.job_id);
    t.is(ok.status, 'success');
    t.is(ok.attempt, 2);
    t.is(ok.error_message, null);

    const strict = await pipeline({ maxRetries: 3 });
    const permanent = await app.api('POST', `/api/v1/pipelines/${strict.pipelineId}/run`, script({ fail: 'permanent' }));
    const failed = await finished(permanent.body.job_id);
    t.is(failed.status, 'failed');
    t.is(failed.error_code, 'DATA_ERROR');
    t.is(callsFor(failed.id).length, 1);
  });

  test(`${tag} cancel stops a running job within seconds and it is not retried`, async (t) => {
    const { pipelineId } = await pipeline({ maxRetries: 3 });
    const res = await app.api('POST', `/api/v1/pipelines/${pipelineId}/run`, script({ sleep_ms: 20_000, rows: 1000 }));
    await waitFor('running', async () => (await job(res.body.job_id)).status === 'running');
    const asked = Date.now();
    const cancel = await app.api('POST', `/api/v1/jobs/${res.body.job_id}/cancel`, { reason: 'operator said so' });
    t.is(cancel.status, 202, cancel.text);
    t.is(cancel.body.status, 'cancelling');
    const end = await finished(res.body.job_id, 5000);
    t.true(Date.now() - asked < 3000, `took ${Date.now() - asked} ms`);
    t.is(end.status, 'cancelled');
    t.is(end.cancel_reason, 'operator said so');
    await new Promise((r) => setTimeout(r, 400));
    t.is(callsFor(end.id).length, 1);
    t.is((await job(end.id)).status, 'cancelled');
    t.is((await app.api('GET', `/api/v1/runs/${end.run_id}`)).body.status, 'cancelled');
    const again = await app.api('POST', `/api/v1/jobs/${end.id}/cancel`, {});
    t.is(again.status, 409);
  });

  test(`${tag} POST /jobs/{id}/retry runs a failed job again as a new job linked to it`, async (t) => {
    const { pipelineId, versionId } = await pipeline();
    const res = await app.api('POST', `/api/v1/pipelines/${pipelineId}/run?wait=true`, script({ fail: 'permanent' }));
    t.is(res.body.status, 'failed');
    await publishNewVersion(app.store.db, pipelineId);
    const retry = await app.api('POST', `/api/v1/jobs/${res.body.job_id}/retry`, {});
    t.is(retry.status, 202, retry.text);
    t.not(retry.body.job_id, res.body.job_id);
    t.is(retry.body.retry_of_job_id, res.body.job_id);
    t.is(retry.body.version_id, versionId, 'a retry re-runs the version the failed job ran');
    const j = await finished(retry.body.job_id);
    t.is(j.retry_of_job_id, res.body.job_id);
    t.is(j.trigger_type, 'retry');
    t.deepEqual((await job(res.body.job_id)).retried_by_job_ids, [retry.body.job_id]);
    const ok = await app.api('POST', `/api/v1/pipelines/${pipelineId}/run?wait=true`, script({}));
    t.is((await app.api('POST', `/api/v1/jobs/${ok.body.job_id}/retry`, {})).status, 409);
    const forced = await app.api('POST', `/api/v1/jobs/${ok.body.job_id}/retry`, { force: true });
    t.is(forced.status, 202);
    await finished(forced.body.job_id);
  });

  test(`${tag} a run longer than execution_timeout_seconds fails with TIMEOUT`, async (t) => {
    const { pipelineId } = await pipeline({ timeoutSeconds: 1, maxRetries: 2 });
    const res = await app.api('POST', `/api/v1/pipelines/${pipelineId}/run?wait=true`, script({ sleep_ms: 10_000 }));
    t.is(res.status, 200);
    t.is(res.body.status, 'failed');
    const j = await job(res.body.job_id);
    t.is(j.error_code, 'TIMEOUT');
    t.is(callsFor(j.id).length, 1, 'a timeout is not retried');
  });
}
