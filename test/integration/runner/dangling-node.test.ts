import test from 'ava';
import { admitJob, createPipeline, ctx, destinationAsset, openRunnerFixture, runRecord, sourceAsset, sql, type RunnerFixture } from './runner-fixture.js';

// Validation only warns about a node that leads to no load ("its output is discarded"); the run must
// then do exactly that, not fail with an internal error.

let f: RunnerFixture;
test.before(async () => {
  f = await openRunnerFixture('postgres');
  await sql(f.src, `CREATE TABLE people (id int PRIMARY KEY, age int); INSERT INTO people SELECT g, g % 90 FROM generate_series(1, 1000) g;`);
});
test.after.always(async () => f?.close());

test('a transform that leads to no load runs and its rows are discarded; the load beside it is complete', async (t) => {
  const src = await sourceAsset(f, 'people');
  const dst = await destinationAsset(f, 'people_copy');
  const pipelineId = await createPipeline(
    f,
    [
      { node_id: 'people', operator_type: 'extract', operator_class: 'postgresql', source_asset_id: src },
      { node_id: 'adults', operator_type: 'transform', operator_class: 'filter', config: { condition: 'age >= 18' } },
      { node_id: 'load', operator_type: 'load', operator_class: 'postgresql', destination_asset_id: dst },
    ],
    [
      ['people', 'adults'],
      ['people', 'load'],
    ],
  );
  const { job } = await admitJob(f, pipelineId);
  const outcome = await f.runner.run(job.id, new AbortController().signal, ctx());
  t.is(outcome.status, 'success', JSON.stringify(outcome.error));
  t.is((await sql<{ n: number }>(f.dst, 'SELECT count(*)::int AS n FROM people_copy'))[0]!.n, 1000);
  const record = await runRecord(f, job.id);
  t.like(record.steps.get('adults'), { status: 'success', records_in: 1000, records_out: 792, records_filtered: 208 });
});
