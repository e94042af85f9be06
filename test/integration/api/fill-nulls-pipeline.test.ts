import test from 'ava';
import { createTestDatabase, withClient, type TestDatabase } from '../../helpers/pg.js';
import { createAsset, createPgConnection, startTestApp, realPipelineRunner } from '../../helpers/test-app.js';

// fill_nulls with strategy forward over the API: a Postgres query (ordered, read in batches of 100 so
// NULL runs cross batch boundaries) → fill_nulls → a new Postgres table, run with ?wait=true. The
// destination must equal the same forward fill written in SQL (a window over the preceding rows).

let data: TestDatabase;
const sql = <T extends Record<string, unknown>>(text: string) => withClient(data.url, async (c) => (await c.query(text)).rows as T[]);

test.before(async () => {
  data = await createTestDatabase('synqx_fn');
  // temp: NULL runs of up to 250 rows; note: NULL for the first 5 rows (leading NULLs stay NULL);
  // sensor is never NULL, so it is left as it is.
  await sql(`
    CREATE TABLE readings (id int PRIMARY KEY, sensor text NOT NULL, temp int, note text);
    INSERT INTO readings SELECT g, 's' || (g % 3),
      CASE WHEN g % 400 BETWEEN 100 AND 349 OR g % 7 = 0 THEN NULL ELSE g % 50 END,
      CASE WHEN g <= 5 OR g % 11 <> 0 THEN NULL ELSE 'n' || g END
    FROM generate_series(1, 2000) g;
  `);
});
test.after.always(async () => data?.drop());

test('fill_nulls strategy forward over a Postgres source: the destination equals the SQL forward fill', async (t) => {
  const app = await startTestApp({ store: 'postgres', runner: realPipelineRunner() });
  t.teardown(() => app.close());
  const conn = await createPgConnection(app, data.name, 'sensors');
  const src = await app.api('POST', `/api/v1/connections/${conn}/assets`, {
    name: 'readings_in_order',
    asset_type: 'query',
    config: { query: 'SELECT id, sensor, temp, note FROM readings ORDER BY id', batch_rows: 100 },
  });
  t.is(src.status, 201, src.text);
  const dst = await createAsset(app, conn, 'readings_filled', true);
  const nodes = [
    { node_id: 'read', operator_type: 'extract', operator_class: 'postgresql', source_asset_id: src.body.id },
    { node_id: 'fill', operator_type: 'transform', operator_class: 'fill_nulls', config: { strategy: 'forward', columns: ['temp', 'note'] } },
    { node_id: 'write', operator_type: 'load', operator_class: 'postgresql', destination_asset_id: dst },
  ].map((n, i) => ({ ...n, name: n.node_id, order_index: i + 1 }));
  const p = await app.api('POST', '/api/v1/pipelines', {
    name: 'forward fill',
    initial_version: { nodes, edges: [{ from_node_id: 'read', to_node_id: 'fill' }, { from_node_id: 'fill', to_node_id: 'write' }] },
  });
  t.is(p.status, 201, p.text);
  const run = await app.api('POST', `/api/v1/pipelines/${p.body.id}/run?wait=true`);
  t.is(run.body.status, 'success', run.text);

  // The last non-NULL value at or before each row: count() numbers the runs, each run takes its first value.
  const expected = await sql(`
    WITH g AS (SELECT *, count(temp) OVER (ORDER BY id) AS tg, count(note) OVER (ORDER BY id) AS ng FROM readings)
    SELECT id, sensor, first_value(temp) OVER (PARTITION BY tg ORDER BY id) AS temp, first_value(note) OVER (PARTITION BY ng ORDER BY id) AS note
    FROM g ORDER BY id`);
  const got = await sql('SELECT id, sensor, temp, note FROM readings_filled ORDER BY id');
  t.is(got.length, 2000);
  t.deepEqual(got, expected);
  // What the comparison relies on: long NULL runs filled, the leading NULLs of note kept.
  t.deepEqual(got.slice(99, 102), [
    { id: 100, sensor: 's1', temp: 49, note: 'n99' },
    { id: 101, sensor: 's2', temp: 49, note: 'n99' },
    { id: 102, sensor: 's0', temp: 49, note: 'n99' },
  ]);
  t.deepEqual(got.slice(0, 11).map((r) => r.note), [...Array(10).fill(null), 'n11']);
  const [left] = await sql<{ n: number }>('SELECT count(*)::int AS n FROM readings_filled WHERE temp IS NULL');
  t.is(left!.n, 0);

  // Rows in = rows out: the node ran in its actor (held nothing back, filtered nothing).
  const r = await app.api('GET', `/api/v1/runs/${run.body.run_id}`);
  const step = (r.body.step_runs as any[]).find((s) => s.node_key === 'fill');
  t.like(step, { status: 'success', records_in: 2000, records_out: 2000, records_filtered: 0 });
});
