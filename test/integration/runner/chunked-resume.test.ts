import test from 'ava';
import { loadCheckpointRepo } from '../../../src/store/repos/load-checkpoint-repo.js';
import { admit } from '../../../src/services/job-admission.js';
import { STORE_KINDS, type StoreKind } from '../../helpers/stores.js';
import { admitJob, createPipeline, ctx, destinationAsset, openRunnerFixture, runRecord, sourceAsset, sql, type RunnerFixture } from './runner-fixture.js';

// Chunked commits: a failed load keeps its committed chunks recorded, and a retry resumes after them.

const N = 5000;
const fixtures = new Map<StoreKind, RunnerFixture>();
const sources = new Map<StoreKind, number>();
let seq = 0;

test.before(async () => {
  for (const kind of STORE_KINDS) {
    const f = await openRunnerFixture(kind);
    fixtures.set(kind, f);
    // Stored in shuffled order, so only a read in key order makes "skip the first N rows" exact.
    await sql(
      f.src,
      `CREATE TABLE events (id int PRIMARY KEY, label text NOT NULL);
       INSERT INTO events SELECT g, 'event ' || g FROM generate_series(1, ${N}) g ORDER BY md5(g::text);
       ANALYZE;`,
    );
    sources.set(kind, await sourceAsset(f, 'events', { batch_rows: 500 }));
  }
});
test.after.always(async () => {
  for (const f of fixtures.values()) await f.close();
});

/** A destination whose trigger refuses ids above 3,500: chunk 4 (ids 3,001–4,000) fails. */
async function refusingDestination(f: RunnerFixture): Promise<{ table: string; assetId: number; allow: () => Promise<void> }> {
  const table = `events_copy_${++seq}`;
  await sql(
    f.dst,
    `CREATE TABLE ${table} (id int NOT NULL, label text NOT NULL);
     CREATE FUNCTION ${table}_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN IF NEW.id > 3500 THEN RAISE EXCEPTION 'id % refused', NEW.id; END IF; RETURN NEW; END $$;
     CREATE TRIGGER refuse BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION ${table}_refuse();`,
  );
  const assetId = await destinationAsset(f, table, { write_mode: 'append', commit_every_rows: 1000 });
  return { table, assetId, allow: async () => void (await sql(f.dst, `DROP TRIGGER refuse ON ${table}`)) };
}

async function chunkedPipeline(f: RunnerFixture, kind: StoreKind, destinationId: number): Promise<number> {
  return createPipeline(
    f,
    [
      { node_id: 'events', operator_type: 'extract', operator_class: 'postgresql', source_asset_id: sources.get(kind)! },
      { node_id: 'load', operator_type: 'load', operator_class: 'postgresql', destination_asset_id: destinationId },
    ],
    [['events', 'load']],
  );
}

const ids = async (f: RunnerFixture, table: string) =>
  (await sql<{ n: number; distinct_ids: number; lo: number; hi: number }>(f.dst, `SELECT count(*)::int AS n, count(DISTINCT id)::int AS distinct_ids, min(id) AS lo, max(id) AS hi FROM ${table}`))[0]!;

const markFinished = (f: RunnerFixture, jobId: number, status: string) => f.store.db.query('UPDATE jobs SET status = $2, completed_at = now() WHERE id = $1', [jobId, status]);

for (const kind of STORE_KINDS) {
  test.serial(`${kind}: a failed chunked append records chunks 1-3; running the job again resumes after them`, async (t) => {
    const f = fixtures.get(kind)!;
    const dest = await refusingDestination(f);
    const { job } = await admitJob(f, await chunkedPipeline(f, kind, dest.assetId));

    const first = await f.runner.run(job.id, new AbortController().signal, ctx(1));
    t.is(first.status, 'failed');
    t.regex(first.error!.message, /refused/);
    t.deepEqual(await ids(f, dest.table), { n: 3000, distinct_ids: 3000, lo: 1, hi: 3000 });
    const key = { rootJobId: job.id, nodeKey: 'load', destinationAssetId: dest.assetId };
    const cp = await loadCheckpointRepo.get(f.store.db, key);
    t.like(cp, { rows_committed: 3000, chunks: 3, job_id: job.id, completed_at: null });
    const logs1 = (await runRecord(f, job.id)).stepLogs.get('load')!;
    t.deepEqual(
      logs1.filter((m) => m.startsWith('committed chunk')),
      ['committed chunk 1: 1000 rows in total', 'committed chunk 2: 2000 rows in total', 'committed chunk 3: 3000 rows in total'],
    );

    await dest.allow();
    const second = await f.runner.run(job.id, new AbortController().signal, ctx(2));
    t.is(second.status, 'success');
    t.deepEqual(await ids(f, dest.table), { n: N, distinct_ids: N, lo: 1, hi: N });
    const done = await loadCheckpointRepo.get(f.store.db, key);
    t.like(done, { rows_committed: N, chunks: 5 });
    t.truthy(done!.completed_at);
    const logs2 = (await runRecord(f, job.id)).stepLogs.get('load')!;
    t.true(logs2.some((m) => m.startsWith('resuming after 3000 rows committed in 3 chunk(s)')));
    // The step keeps the first execution's lines too.
    t.deepEqual(
      logs2.filter((m) => m.startsWith('committed chunk')).slice(3),
      ['committed chunk 4: 4000 rows in total', 'committed chunk 5: 5000 rows in total'],
    );
  });
}

test.serial('a linked retry job resumes where its failed original stopped; a fresh trigger after success starts from row 0', async (t) => {
  const f = fixtures.get('postgres')!;
  const dest = await refusingDestination(f);
  const pipelineId = await chunkedPipeline(f, 'postgres', dest.assetId);
  const { job } = await admitJob(f, pipelineId);
  t.is((await f.runner.run(job.id, new AbortController().signal, ctx())).status, 'failed');
  t.is((await ids(f, dest.table)).n, 3000);
  await markFinished(f, job.id, 'failed');

  // A retry of the original, then a retry of that retry: both belong to the original's chain.
  const retry = await f.store.db.transaction((tx) => admit(tx, { pipelineId, triggerType: 'retry', payload: {}, retryOfJobId: job.id }));
  t.is((await f.runner.run(retry.job.id, new AbortController().signal, ctx())).status, 'failed');
  t.is((await ids(f, dest.table)).n, 3000, 'the trigger still refuses: nothing committed twice, nothing new');
  await markFinished(f, retry.job.id, 'failed');
  await dest.allow();
  const retry2 = await f.store.db.transaction((tx) => admit(tx, { pipelineId, triggerType: 'retry', payload: {}, retryOfJobId: retry.job.id }));
  t.is(await loadCheckpointRepo.rootJobId(f.store.db, retry2.job.id), job.id);
  t.is((await f.runner.run(retry2.job.id, new AbortController().signal, ctx())).status, 'success');
  t.deepEqual(await ids(f, dest.table), { n: N, distinct_ids: N, lo: 1, hi: N });
  const [cp] = await loadCheckpointRepo.listForChain(f.store.db, job.id);
  t.like(cp, { rows_committed: N, chunks: 5, job_id: retry2.job.id });
  t.truthy(cp!.completed_at);
  await markFinished(f, retry2.job.id, 'success');

  // A new trigger is a new chain: an append loads everything again.
  const { job: fresh } = await admitJob(f, pipelineId);
  t.is((await f.runner.run(fresh.id, new AbortController().signal, ctx())).status, 'success');
  t.like(await ids(f, dest.table), { n: 2 * N, distinct_ids: N });
});

test.serial('an interleaved union before a chunked load is warned about (its row order depends on timing); a sequential one is not', async (t) => {
  const f = fixtures.get('postgres')!;
  const warnings = async (mode: string) => {
    const table = `events_union_${++seq}`;
    const dest = await destinationAsset(f, table, { write_mode: 'append', commit_every_rows: 1000 });
    const pipelineId = await createPipeline(
      f,
      [
        { node_id: 'a', operator_type: 'extract', operator_class: 'postgresql', source_asset_id: sources.get('postgres')! },
        { node_id: 'b', operator_type: 'extract', operator_class: 'postgresql', source_asset_id: sources.get('postgres')! },
        { node_id: 'u', operator_type: 'union', operator_class: 'union', config: { mode } },
        { node_id: 'load', operator_type: 'load', operator_class: 'postgresql', destination_asset_id: dest },
      ],
      [['a', 'u'], ['b', 'u'], ['u', 'load']],
    );
    const { job } = await admitJob(f, pipelineId);
    t.is((await f.runner.run(job.id, new AbortController().signal, ctx())).status, 'success');
    t.is((await ids(f, table)).n, 2 * N);
    await markFinished(f, job.id, 'success');
    return (await runRecord(f, job.id)).stepLogs.get('u')!.filter((m) => /no repeatable order/.test(m));
  };
  t.deepEqual(await warnings('interleaved'), ['u (union) feeds a load with chunked commits but emits rows in no repeatable order: a resumed load may skip or repeat rows']);
  t.deepEqual(await warnings('sequential'), []);
});
