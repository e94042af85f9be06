import test from 'ava';
import { engineRunnerFactory } from '../../../src/bin/engine-runner.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/pg.js';
import { createAsset, createPgConnection, startTestApp } from '../../helpers/test-app.js';
import { sql } from './runner-fixture.js';

// The runner the worker processes use (engineRunnerFactory), with transforms on real Piscina threads:
// an original-style pandas_transform pipeline triggered through the API.

let data: TestDatabase;

test.before(async () => {
  data = await createTestDatabase('synqx_ep');
  await sql(
    data,
    `CREATE TABLE people (id int PRIMARY KEY, name text, age int, country text, secret text);
     INSERT INTO people SELECT g, 'p' || g, 18 + g % 40, CASE WHEN g % 3 = 0 THEN 'DE' ELSE 'FR' END, 'x'
     FROM generate_series(1, 20000) g;`,
  );
});
test.after.always(async () => data?.drop());

test('pandas_transform (drop, rename, filter_query) runs on the worker pool; counters add up and rows match SQL', async (t) => {
  const app = await startTestApp({
    store: 'postgres',
    runner: (deps) => engineRunnerFactory({ masterPassword: 'test-master-password', transformThreads: 1 })(deps),
  });
  t.teardown(() => app.close());
  const conn = await createPgConnection(app, data.name, 'data');
  const src = await createAsset(app, conn, 'people');
  const dst = await createAsset(app, conn, 'adults_de', true);
  const p = await app.api('POST', '/api/v1/pipelines', {
    name: 'adults',
    initial_version: {
      nodes: [
        { node_id: 'read', name: 'read', operator_type: 'extract', operator_class: 'postgresql', source_asset_id: src, order_index: 1 },
        {
          node_id: 'shape',
          name: 'shape',
          operator_type: 'transform',
          operator_class: 'pandas_transform',
          order_index: 2,
          config: { drop_columns: ['secret'], rename_columns: { name: 'full_name' }, filter_query: "age > 28 and country == 'DE'" },
        },
        { node_id: 'write', name: 'write', operator_type: 'load', operator_class: 'postgresql', destination_asset_id: dst, order_index: 3 },
      ],
      edges: [
        { from_node_id: 'read', to_node_id: 'shape' },
        { from_node_id: 'shape', to_node_id: 'write' },
      ],
    },
  });
  t.is(p.status, 201, p.text);
  const run = await app.api('POST', `/api/v1/pipelines/${p.body.id}/run?wait=true`);
  t.is(run.body.status, 'success', run.text);

  const expected = await sql<{ n: number }>(data, "SELECT count(*)::int AS n FROM people WHERE age > 28 AND country = 'DE'");
  const kept = expected[0]!.n;
  const got = await sql<{ n: number; bad: number }>(data, "SELECT count(*)::int AS n, count(*) FILTER (WHERE age <= 28 OR country <> 'DE')::int AS bad FROM adults_de");
  t.is(got[0]!.n, kept);
  t.is(got[0]!.bad, 0);
  const cols = await sql<{ column_name: string }>(data, "SELECT column_name FROM information_schema.columns WHERE table_name = 'adults_de' ORDER BY ordinal_position");
  t.deepEqual(cols.map((r) => r.column_name), ['id', 'full_name', 'age', 'country']);

  const r = await app.api('GET', `/api/v1/runs/${run.body.run_id}`);
  const shape = (r.body.step_runs as any[]).find((s) => s.node_key === 'shape');
  t.like(shape, { status: 'success', records_in: 20000, records_out: kept, records_filtered: 20000 - kept });
});
