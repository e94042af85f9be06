import test from 'ava';
import { admitJob, createPipeline, ctx, destinationAsset, openRunnerFixture, runRecord, sourceAsset, sql, tableText, type RunnerFixture } from './runner-fixture.js';

// Successful runs through the engine runner: rows arrive intact and the run record tells the story.

const N = 30_000;
const DE = Math.floor((N + 2) / 3); // ids 1..N with id % 3 == 1
let f: RunnerFixture;
let users: number;

test.before(async () => {
  f = await openRunnerFixture();
  await sql(
    f.src,
    `CREATE TABLE users (id int PRIMARY KEY, name text NOT NULL, email text, country text, score numeric(10,2), created_at timestamptz NOT NULL);
     INSERT INTO users SELECT g, 'user ' || g, CASE WHEN g % 10 = 0 THEN NULL ELSE 'u' || g || '@example.com' END,
       CASE g % 3 WHEN 1 THEN 'DE' WHEN 2 THEN 'FR' ELSE 'US' END, (g % 1000) / 7.0, timestamptz '2024-01-01 00:00:00+00' + g * interval '1 minute'
     FROM generate_series(1, ${N}) g;
     ANALYZE users;`,
  );
  // Small batches so every run streams many batches through the mailboxes.
  users = await sourceAsset(f, 'users', { batch_rows: 2000 });
});
test.after.always(async () => f?.close());

test('the original README flow: extract users → load users_backup copies every row and records step counters and logs', async (t) => {
  const backup = await destinationAsset(f, 'users_backup');
  const pipelineId = await createPipeline(
    f,
    [
      { node_id: 'extract_users', operator_type: 'extract', operator_class: 'postgresql', source_asset_id: users },
      { node_id: 'load_backup', operator_type: 'load', operator_class: 'postgresql', destination_asset_id: backup },
    ],
    [['extract_users', 'load_backup']],
  );
  const { job, run } = await admitJob(f, pipelineId);
  const outcome = await f.runner.run(job.id, new AbortController().signal, ctx());
  t.is(outcome.status, 'success', outcome.error?.message);
  t.deepEqual(await tableText(f.dst, 'users_backup'), await tableText(f.src, 'users'));
  t.like(outcome.totals, { extracted: N, loaded: N, failed: 0 });

  const rec = await runRecord(f, job.id);
  t.is(rec.run.id, run.id, 'the run row created at trigger time is the one used');
  t.like(rec.run, { status: 'completed', total_extracted: N, total_loaded: N, total_failed: 0, error_message: null });
  t.true(rec.run.bytes_processed > 0);
  t.truthy(rec.run.started_at);
  t.truthy(rec.run.completed_at);
  t.true(rec.run.duration_seconds! >= 0);
  t.is(rec.steps.size, 2);
  const extract = rec.steps.get('extract_users')!;
  const load = rec.steps.get('load_backup')!;
  t.like(extract, { status: 'success', operator_type: 'extract', records_in: N, records_out: N, records_filtered: 0, records_error: 0, error_code: null });
  t.like(load, { status: 'success', operator_type: 'load', records_in: N, records_out: N, records_error: 0 });
  t.true(extract.bytes_processed > 0);
  for (const s of [extract, load]) {
    t.truthy(s.started_at);
    t.truthy(s.completed_at);
    t.true(s.duration_seconds !== null && s.duration_seconds >= 0);
  }
  t.true(rec.stepLogs.get('extract_users')!.some((m) => m.startsWith('reading public.users')), rec.stepLogs.get('extract_users')!.join('\n'));
  t.true(rec.stepLogs.get('extract_users')!.some((m) => m.startsWith(`read 30,000 rows from public.users in `)));
  t.true(rec.stepLogs.get('load_backup')!.some((m) => /^wrote 30,000 rows to public\.users_backup in \d+(\.\d)? s$/.test(m)), rec.stepLogs.get('load_backup')!.join('\n'));
  const jobLines = rec.jobLogs.map((l) => l.message);
  t.true(jobLines.some((m) => m.startsWith('run completed in ') && m.includes('30,000 rows extracted, 30,000 loaded')), jobLines.join('\n'));
  t.true(jobLines.some((m) => m.includes('starting on worker test-worker, attempt 1')));
});

test('fan-out into two destinations: both get every row; run totals count both loads', async (t) => {
  const a = await destinationAsset(f, 'users_a');
  const b = await destinationAsset(f, 'users_b', { write_mode: 'truncate' });
  const pipelineId = await createPipeline(
    f,
    [
      { node_id: 'users', operator_type: 'extract', operator_class: 'postgresql', source_asset_id: users },
      { node_id: 'to_a', operator_type: 'load', operator_class: 'postgresql', destination_asset_id: a },
      { node_id: 'to_b', operator_type: 'load', operator_class: 'postgresql', destination_asset_id: b },
    ],
    [
      ['users', 'to_a'],
      ['users', 'to_b'],
    ],
  );
  const { job } = await admitJob(f, pipelineId);
  const outcome = await f.runner.run(job.id, new AbortController().signal, ctx());
  t.is(outcome.status, 'success', outcome.error?.message);
  const expected = await tableText(f.src, 'users');
  t.deepEqual(await tableText(f.dst, 'users_a'), expected);
  t.deepEqual(await tableText(f.dst, 'users_b'), expected);
  const rec = await runRecord(f, job.id);
  t.like(rec.run, { status: 'completed', total_extracted: N, total_loaded: 2 * N });
  for (const id of ['to_a', 'to_b']) t.like(rec.steps.get(id), { status: 'success', records_in: N, records_out: N });
  t.like(rec.steps.get('users'), { status: 'success', records_out: N });
});

test('a filter transform dropping rows: records_in = records_out + records_filtered, and only kept rows load', async (t) => {
  const de = await destinationAsset(f, 'users_de');
  const pipelineId = await createPipeline(
    f,
    [
      { node_id: 'users', operator_type: 'extract', operator_class: 'postgresql', source_asset_id: users },
      { node_id: 'only_de', operator_type: 'transform', operator_class: 'filter', config: { condition: "country == 'DE'" } },
      { node_id: 'load_de', operator_type: 'load', operator_class: 'postgresql', destination_asset_id: de },
    ],
    [
      ['users', 'only_de'],
      ['only_de', 'load_de'],
    ],
  );
  const { job } = await admitJob(f, pipelineId);
  const outcome = await f.runner.run(job.id, new AbortController().signal, ctx());
  t.is(outcome.status, 'success', outcome.error?.message);
  t.deepEqual(await tableText(f.dst, 'users_de'), await tableText(f.src, "(SELECT * FROM users WHERE country = 'DE')"));
  const rec = await runRecord(f, job.id);
  const filter = rec.steps.get('only_de')!;
  t.like(filter, { status: 'success', operator_type: 'transform', records_in: N, records_out: DE, records_filtered: N - DE });
  t.is(filter.records_in, filter.records_out + filter.records_filtered);
  t.like(rec.steps.get('load_de'), { status: 'success', records_in: DE, records_out: DE });
  t.like(rec.run, { total_extracted: N, total_loaded: DE });
  t.true(rec.stepLogs.get('only_de')!.some((m) => m.startsWith(`filter: 30,000 rows in, 10,000 out, 20,000 filtered`)), rec.stepLogs.get('only_de')!.join('\n'));
});

test('node config narrows the asset: a where on the extract node and write_mode on the load node', async (t) => {
  const few = await destinationAsset(f, 'users_few');
  await sql(f.dst, 'CREATE TABLE users_few (id int PRIMARY KEY, name text NOT NULL, email text, country text, score numeric(10,2), created_at timestamptz NOT NULL)');
  await sql(f.dst, `INSERT INTO users_few VALUES (-1, 'stale', NULL, NULL, NULL, now())`);
  const pipelineId = await createPipeline(
    f,
    [
      { node_id: 'users', operator_type: 'extract', operator_class: 'postgresql', source_asset_id: users, config: { where: 'id <= 100', engine_hint: 'ignored' } },
      { node_id: 'load', operator_type: 'load', operator_class: 'postgresql', destination_asset_id: few, config: { write_mode: 'truncate' } },
    ],
    [['users', 'load']],
  );
  const { job } = await admitJob(f, pipelineId);
  const outcome = await f.runner.run(job.id, new AbortController().signal, ctx());
  t.is(outcome.status, 'success', outcome.error?.message);
  t.deepEqual(await tableText(f.dst, 'users_few'), await tableText(f.src, '(SELECT * FROM users WHERE id <= 100)'));
});
