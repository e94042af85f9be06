import test from 'ava';
import { createTestDatabase, withClient, type TestDatabase } from '../../helpers/pg.js';
import { createAsset, createPgConnection, startTestApp, realPipelineRunner } from '../../helpers/test-app.js';

// Stream transforms end to end through the API: two Postgres tables → union → aggregate → sort →
// deduplicate → a new Postgres table, run with ?wait=true; the table must equal the same query in SQL.

let data: TestDatabase;
const sql = <T extends Record<string, unknown>>(text: string) => withClient(data.url, async (c) => (await c.query(text)).rows as T[]);

test.before(async () => {
  data = await createTestDatabase('synqx_sp');
  await sql(`
    CREATE TABLE orders_eu (id int PRIMARY KEY, customer text, amount int, note text, fee numeric(8,2));
    INSERT INTO orders_eu SELECT g, CASE WHEN g % 101 = 0 THEN NULL ELSE 'c' || (g % 37) END, (g * 7919) % 1000, 'eu', ((g * 13) % 997) / 7.0 FROM generate_series(1, 3000) g;
    CREATE TABLE orders_us (id int PRIMARY KEY, amount int, customer text, region text, fee numeric(8,2));
    INSERT INTO orders_us SELECT g, CASE WHEN g % 13 = 0 THEN NULL ELSE (g * 31) % 500 END, CASE WHEN g % 89 = 0 THEN NULL ELSE 'c' || (g % 41) END, 'west', CASE WHEN g % 17 = 0 THEN NULL ELSE ((g * 29) % 991) / 3.0 END FROM generate_series(1, 2000) g;
  `);
});
test.after.always(async () => data?.drop());

const named = (nodes: Record<string, unknown>[]) => nodes.map((n) => ({ name: n.node_id, ...n }));

test('union → aggregate → sort → deduplicate over Postgres assets: the destination equals the SQL answer', async (t) => {
  const app = await startTestApp({
    store: 'postgres',
    runner: realPipelineRunner(),
  });
  t.teardown(() => app.close());
  const conn = await createPgConnection(app, data.name, 'shop');
  const eu = await createAsset(app, conn, 'orders_eu');
  const us = await createAsset(app, conn, 'orders_us');
  const dst = await createAsset(app, conn, 'top_customers', true);
  const p = await app.api('POST', '/api/v1/pipelines', {
    name: 'top customers',
    initial_version: {
      nodes: named([
        { node_id: 'eu', operator_type: 'extract', operator_class: 'postgresql', source_asset_id: eu, order_index: 1 },
        { node_id: 'us', operator_type: 'extract', operator_class: 'postgresql', source_asset_id: us, order_index: 2 },
        { node_id: 'all', operator_type: 'union', operator_class: 'union', config: { mode: 'interleaved' }, order_index: 3 },
        {
          node_id: 'per_customer',
          operator_type: 'transform',
          operator_class: 'aggregate',
          order_index: 4,
          config: {
            group_by: ['customer'],
            aggregates: [
              { fn: 'count', as: 'n' },
              { fn: 'sum', column: 'amount', as: 'total' },
              { fn: 'max', column: 'amount', as: 'biggest' },
              { fn: 'sum', column: 'fee', as: 'fees' },
              { fn: 'avg', column: 'fee', as: 'avg_fee' },
            ],
          },
        },
        {
          node_id: 'ranked',
          operator_type: 'transform',
          operator_class: 'sort',
          order_index: 5,
          config: { by: [{ column: 'total', direction: 'desc' }, { column: 'customer' }] },
        },
        { node_id: 'best_per_n', operator_type: 'transform', operator_class: 'deduplicate', order_index: 6, config: { keys: ['n'] } },
        { node_id: 'write', operator_type: 'load', operator_class: 'postgresql', destination_asset_id: dst, order_index: 7 },
      ]),
      edges: [
        { from_node_id: 'eu', to_node_id: 'all' },
        { from_node_id: 'us', to_node_id: 'all' },
        { from_node_id: 'all', to_node_id: 'per_customer' },
        { from_node_id: 'per_customer', to_node_id: 'ranked' },
        { from_node_id: 'ranked', to_node_id: 'best_per_n' },
        { from_node_id: 'best_per_n', to_node_id: 'write' },
      ],
    },
  });
  t.is(p.status, 201, p.text);
  const run = await app.api('POST', `/api/v1/pipelines/${p.body.id}/run?wait=true`);
  t.is(run.body.status, 'success', run.text);

  const expected = await sql(`
    WITH u AS (SELECT customer, amount, fee FROM orders_eu UNION ALL SELECT customer, amount, fee FROM orders_us),
         a AS (SELECT customer, count(*) AS n, sum(amount) AS total, max(amount) AS biggest, sum(fee) AS fees, avg(fee) AS avg_fee FROM u GROUP BY customer)
    SELECT DISTINCT ON (n) customer, n::text, total::text, biggest, fees::text, avg_fee::text FROM a ORDER BY n, total DESC NULLS FIRST, customer COLLATE "C" NULLS LAST`);
  const got = await sql(`SELECT customer, n::text, total::text, biggest, fees::text, avg_fee::text FROM top_customers ORDER BY n`);
  t.true(expected.length > 3);
  t.deepEqual(got, expected);
  const types = await sql<{ column_name: string; data_type: string }>(
    "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'top_customers' ORDER BY ordinal_position",
  );
  t.deepEqual(types.map((c) => `${c.column_name} ${c.data_type}`), ['customer text', 'n bigint', 'total bigint', 'biggest integer', 'fees numeric', 'avg_fee numeric']);

  const r = await app.api('GET', `/api/v1/runs/${run.body.run_id}`);
  const step = (key: string) => (r.body.step_runs as any[]).find((s) => s.node_key === key);
  t.like(step('all'), { status: 'success', records_in: 5000, records_out: 5000, records_filtered: 0 });
  const groups = Number((await sql<{ g: string }>('SELECT count(DISTINCT customer) + 1 AS g FROM (SELECT customer FROM orders_eu UNION ALL SELECT customer FROM orders_us) x'))[0]!.g);
  t.like(step('per_customer'), { status: 'success', records_in: 5000, records_out: groups });
  t.like(step('best_per_n'), { status: 'success', records_in: groups, records_out: expected.length, records_filtered: groups - expected.length });
});

test('a sequential union over one shared extract is a 422 naming the deadlock', async (t) => {
  const app = await startTestApp({ store: 'pglite' });
  t.teardown(() => app.close());
  const conn = await createPgConnection(app, data.name, 'shop');
  const src = await createAsset(app, conn, 'orders_eu');
  const dst = await createAsset(app, conn, 'twice', true);
  const res = await app.api('POST', '/api/v1/pipelines', {
    name: 'twice',
    initial_version: {
      nodes: named([
        { node_id: 'read', operator_type: 'extract', operator_class: 'postgresql', source_asset_id: src },
        { node_id: 'a', operator_type: 'transform', operator_class: 'noop' },
        { node_id: 'b', operator_type: 'transform', operator_class: 'noop' },
        { node_id: 'both', operator_type: 'union', operator_class: 'union' },
        { node_id: 'write', operator_type: 'load', operator_class: 'postgresql', destination_asset_id: dst },
      ]),
      edges: [
        { from_node_id: 'read', to_node_id: 'a' },
        { from_node_id: 'read', to_node_id: 'b' },
        { from_node_id: 'a', to_node_id: 'both' },
        { from_node_id: 'b', to_node_id: 'both' },
        { from_node_id: 'both', to_node_id: 'write' },
      ],
    },
  });
  t.is(res.status, 422, res.text);
  t.regex(res.text, /fan_in_deadlock/);
  t.regex(res.text, /both come from \\?"read\\?"/);
});
