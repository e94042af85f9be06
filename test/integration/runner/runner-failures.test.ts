import test from 'ava';
import { setTimeout as delay } from 'node:timers/promises';
import { runRepo } from '../../../src/store/repos/run-repo.js';
import { admitJob, createPipeline, ctx, destinationAsset, openRunnerFixture, runRecord, sourceAsset, sql, tableText, type RunnerFixture } from './runner-fixture.js';

// Runs that fail, are cancelled, or run again: destinations unchanged, the reason recorded where it started.

const N = 40_000;
const TABLE = 'id int PRIMARY KEY, name text NOT NULL, email text NOT NULL';
let f: RunnerFixture;
let users: number;
let big: number;

test.before(async () => {
  f = await openRunnerFixture();
  // email is NULL only near the end, so a NOT NULL destination fails mid-run, after batches loaded.
  await sql(
    f.src,
    `CREATE TABLE users (id int PRIMARY KEY, name text NOT NULL, email text);
     INSERT INTO users SELECT g, 'user ' || g, CASE WHEN g = ${N - 5} THEN NULL ELSE 'u' || g || '@example.com' END FROM generate_series(1, ${N}) g;
     CREATE TABLE big (id int PRIMARY KEY, payload text NOT NULL);
     INSERT INTO big SELECT g, repeat('x', 200) FROM generate_series(1, 400000) g;
     ANALYZE;`,
  );
  users = await sourceAsset(f, 'users', { batch_rows: 1000 });
  big = await sourceAsset(f, 'big', { batch_rows: 1000 });
});
test.after.always(async () => f?.close());

async function strictDestination(table: string): Promise<number> {
  await sql(f.dst, `CREATE TABLE ${table} (${TABLE}); INSERT INTO ${table} VALUES (-1, 'kept', 'kept@example.com'), (-2, 'kept too', 'k2@example.com')`);
  return destinationAsset(f, table);
}

test('a load error mid-run: run failed, the error on the failing step, later steps skipped, both destinations unchanged', async (t) => {
  const bad = await strictDestination('users_strict');
  const other = await strictDestination('users_other');
  const before = { bad: await tableText(f.dst, 'users_strict'), other: await tableText(f.dst, 'users_other') };
  const pipelineId = await createPipeline(
    f,
    [
      { node_id: 'users', operator_type: 'extract', operator_class: 'postgresql', source_asset_id: users },
      { node_id: 'load_strict', operator_type: 'load', operator_class: 'postgresql', destination_asset_id: bad },
      { node_id: 'load_other', operator_type: 'load', operator_class: 'postgresql', destination_asset_id: other },
    ],
    [
      ['users', 'load_strict'],
      ['users', 'load_other'],
    ],
  );
  const { job } = await admitJob(f, pipelineId);
  const outcome = await f.runner.run(job.id, new AbortController().signal, ctx());
  t.is(outcome.status, 'failed');
  t.truthy(outcome.error);
  t.not(outcome.error!.code, 'CANCELLED');
  t.regex(outcome.error!.message, /null/i);
  t.deepEqual(await tableText(f.dst, 'users_strict'), before.bad);
  t.deepEqual(await tableText(f.dst, 'users_other'), before.other);

  const rec = await runRecord(f, job.id);
  t.is(rec.run.status, 'failed');
  t.is(rec.run.error_message, outcome.error!.message);
  t.is(rec.run.total_loaded, 0);
  t.truthy(rec.run.completed_at);
  const failing = rec.steps.get('load_strict')!;
  t.is(failing.status, 'failed');
  t.is(failing.error_code, outcome.error!.code);
  t.is(failing.error_message, outcome.error!.message);
  t.is(failing.records_out, 0, 'a rolled-back load loaded nothing');
  t.true(failing.records_in > 0, 'the failure came mid-run, after rows reached the load');
  const later = rec.steps.get('load_other')!;
  t.is(later.status, 'skipped');
  t.is(later.records_out, 0);
  t.regex(later.error_message ?? '', /skipped: step load_strict failed/);
  t.not(rec.steps.get('users')!.status, 'skipped', 'the source ran before the failure');
  t.true(rec.stepLogs.get('load_strict')!.some((m) => m.startsWith('failed: ')));
  t.true(rec.stepLogs.get('load_strict')!.some((m) => m.startsWith('rolled back ')));
  t.true(rec.jobLogs.some((l) => l.level === 'error' && l.message.startsWith('run failed after ')));
});

test('abort mid-run: cancelled, destination unchanged, counters consistent', async (t) => {
  const dest = await strictDestination('big_copy');
  await sql(f.dst, 'DROP TABLE big_copy; CREATE TABLE big_copy (id int PRIMARY KEY, payload text NOT NULL); INSERT INTO big_copy VALUES (-1, $$kept$$)');
  const pipelineId = await createPipeline(
    f,
    [
      { node_id: 'big', operator_type: 'extract', operator_class: 'postgresql', source_asset_id: big },
      { node_id: 'pass', operator_type: 'transform', operator_class: 'noop' },
      { node_id: 'load', operator_type: 'load', operator_class: 'postgresql', destination_asset_id: dest },
    ],
    [
      ['big', 'pass'],
      ['pass', 'load'],
    ],
  );
  const { job } = await admitJob(f, pipelineId);
  const ctrl = new AbortController();
  const running = f.runner.run(job.id, ctrl.signal, ctx());
  // Cancel once the load has visibly received rows (counters are flushed every 50 ms in these tests).
  const run = (await runRepo.getRunByJob(f.store.db, job.id))!;
  for (let i = 0; i < 400; i++) {
    const steps = await runRepo.stepsOfRun(f.store.db, run.id);
    if ((steps.find((s) => s.node_key === 'load')?.records_in ?? 0) > 0) break;
    await delay(25);
  }
  ctrl.abort('cancel');
  const outcome = await running;
  t.is(outcome.status, 'cancelled');
  t.is(outcome.error?.code, 'CANCELLED');
  t.deepEqual(await tableText(f.dst, 'big_copy'), ['(-1,kept)']);
  const rec = await runRecord(f, job.id);
  t.is(rec.run.status, 'cancelled');
  t.regex(rec.run.error_message ?? '', /cancel/);
  t.is(rec.run.total_loaded, 0);
  t.true(rec.run.total_extracted > 0 && rec.run.total_extracted < 400_000, `extracted ${rec.run.total_extracted}`);
  const load = rec.steps.get('load')!;
  t.is(load.status, 'failed');
  t.is(load.error_code, 'CANCELLED');
  t.is(load.records_out, 0);
  const pass = rec.steps.get('pass')!;
  t.is(pass.records_in, pass.records_out + pass.records_filtered);
  t.true(rec.steps.get('big')!.records_out >= pass.records_in);
  t.true(pass.records_out >= load.records_in);
});

test('the same job run twice (a retry): the second run resets the record, reuses the step rows and succeeds', async (t) => {
  const dest = await strictDestination('users_retry');
  const pipelineId = await createPipeline(
    f,
    [
      { node_id: 'users', operator_type: 'extract', operator_class: 'postgresql', source_asset_id: users },
      { node_id: 'load', operator_type: 'load', operator_class: 'postgresql', destination_asset_id: dest },
    ],
    [['users', 'load']],
    2,
  );
  const { job, run } = await admitJob(f, pipelineId);
  const first = await f.runner.run(job.id, new AbortController().signal, ctx(1));
  t.is(first.status, 'failed');
  const failed = await runRecord(f, job.id);
  t.is(failed.steps.get('load')!.status, 'failed');
  const stepIds = [...failed.steps.values()].map((s) => s.id).sort();

  await sql(f.dst, 'ALTER TABLE users_retry ALTER COLUMN email DROP NOT NULL'); // the operator fixes the destination
  const second = await f.runner.run(job.id, new AbortController().signal, ctx(2));
  t.is(second.status, 'success', second.error?.message);
  t.is((await sql<{ n: number }>(f.dst, 'SELECT count(*)::int AS n FROM users_retry'))[0]!.n, N + 2);

  const rec = await runRecord(f, job.id);
  t.is(rec.run.id, run.id);
  t.like(rec.run, { status: 'completed', error_message: null, total_extracted: N, total_loaded: N, run_number: run.run_number });
  t.truthy(rec.run.completed_at);
  const rows = await runRepo.stepsOfRun(f.store.db, run.id);
  t.is(rows.length, 2, 'no duplicate step rows');
  t.deepEqual(rows.map((s) => s.id).sort(), stepIds);
  for (const s of rows) {
    t.like(s, { status: 'success', error_code: null, error_message: null, retry_count: 1 });
    t.is(s.records_out, N, `${s.node_key} counters restart from zero`);
  }
  t.like(rec.steps.get('load'), { records_in: N, records_out: N });
  t.true(rec.jobLogs.some((l) => l.message.includes('attempt 2; the previous execution was reset')));
});

test('a version whose asset was deleted since: failed before it started with a permanent error, no step ran', async (t) => {
  const dest = await destinationAsset(f, 'users_gone');
  const pipelineId = await createPipeline(
    f,
    [
      { node_id: 'users', operator_type: 'extract', operator_class: 'postgresql', source_asset_id: users },
      { node_id: 'load', operator_type: 'load', operator_class: 'postgresql', destination_asset_id: dest },
    ],
    [['users', 'load']],
  );
  const { job } = await admitJob(f, pipelineId);
  await f.connections.assets.remove(f.dstConnectionId, dest);
  const outcome = await f.runner.run(job.id, new AbortController().signal, ctx());
  t.is(outcome.status, 'failed');
  t.false(outcome.error!.retryable);
  const rec = await runRecord(f, job.id);
  t.is(rec.run.status, 'failed');
  t.truthy(rec.run.error_message);
  t.truthy(rec.run.completed_at);
  t.true(rec.jobLogs.some((l) => l.level === 'error' && l.message.startsWith('run failed before it started')));
  for (const s of rec.steps.values()) t.is(s.status, 'skipped');
  t.false((await sql<{ r: string | null }>(f.dst, "SELECT to_regclass('public.users_gone')::text AS r"))[0]!.r !== null);
});
