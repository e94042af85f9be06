import test from 'ava';
import { createTestDatabase, type TestDatabase } from '../../helpers/pg.js';
import { createAsset, createPgConnection, startTestApp, type TestApp, realPipelineRunner } from '../../helpers/test-app.js';
import { sql } from './runner-fixture.js';

// Through the API on real Postgres: extract → validate → load, failing rows quarantined to a table
// of their own (or failing the run, leaving the destination untouched).

const ROWS = 50_000;
let data: TestDatabase;

test.before(async () => {
  data = await createTestDatabase('synqx_qr');
  await sql(
    data,
    `CREATE TABLE orders (id int PRIMARY KEY, email text, qty int);
     INSERT INTO orders SELECT g, CASE WHEN g IN (3, 7) THEN NULL ELSE 'u' || g || '@x.io' END, CASE WHEN g = 5 THEN -2 ELSE g % 100 END
     FROM generate_series(1, ${ROWS}) g;
     CREATE TABLE orders_strict (id int PRIMARY KEY, email text, qty int);
     INSERT INTO orders_strict VALUES (0, 'already@there', 1);`,
  );
});
test.after.always(async () => data?.drop());

async function setUp(t: { teardown(fn: () => Promise<void>): void }) {
  const app = await startTestApp({
    store: 'postgres',
    runner: realPipelineRunner(),
  });
  t.teardown(() => app.close());
  const conn = await createPgConnection(app, data.name);
  const asset = (name: string, isDestination: boolean) => createAsset(app, conn, name, isDestination);
  return { app, asset };
}

function pipeline(name: string, src: number, dst: number, validate: Record<string, unknown>) {
  return {
    name,
    initial_version: {
      nodes: [
        { node_id: 'read', name: 'read', operator_type: 'extract', operator_class: 'postgresql', source_asset_id: src, order_index: 1 },
        { node_id: 'check', name: 'check', operator_type: 'validate', operator_class: 'validate', order_index: 2, config: validate },
        { node_id: 'write', name: 'write', operator_type: 'load', operator_class: 'postgresql', destination_asset_id: dst, order_index: 3 },
      ],
      edges: [
        { from_node_id: 'read', to_node_id: 'check' },
        { from_node_id: 'check', to_node_id: 'write' },
      ],
    },
  };
}

async function steps(app: TestApp, runId: number): Promise<Map<string, any>> {
  const r = await app.api('GET', `/api/v1/runs/${runId}`);
  return new Map((r.body.step_runs as any[]).map((s) => [s.node_key, s]));
}

test.serial('on_error quarantine: good rows loaded, bad rows with reasons in the quarantine table, counters add up', async (t) => {
  const { app, asset } = await setUp(t);
  const src = await asset('orders', false);
  const dst = await asset('orders_clean', true);
  const bad = await asset('orders_bad', true);
  const rules = [
    { column: 'email', rule: 'not_null' },
    { column: 'qty', rule: 'min', value: 0 },
  ];
  const p = await app.api('POST', '/api/v1/pipelines', pipeline('quarantine', src, dst, { rules, on_error: 'quarantine', quarantine_asset_id: bad }));
  t.is(p.status, 201, p.text);
  const run = await app.api('POST', `/api/v1/pipelines/${p.body.id}/run?wait=true`);
  t.is(run.body.status, 'success', run.text);

  const clean = await sql<{ n: number; bad: number }>(data, 'SELECT count(*)::int AS n, count(*) FILTER (WHERE email IS NULL OR qty < 0)::int AS bad FROM orders_clean');
  t.deepEqual(clean[0], { n: ROWS - 3, bad: 0 });
  const quarantined = await sql(data, 'SELECT id, email, qty, _synqx_error FROM orders_bad ORDER BY id');
  t.deepEqual(quarantined, [
    { id: 3, email: null, qty: 3, _synqx_error: 'validate rule not_null failed on column email: value is NULL' },
    { id: 5, email: 'u5@x.io', qty: -2, _synqx_error: 'validate rule min failed on column qty: value -2 is less than 0' },
    { id: 7, email: null, qty: 7, _synqx_error: 'validate rule not_null failed on column email: value is NULL' },
  ]);
  const cols = await sql<{ column_name: string; data_type: string; is_nullable: string }>(
    data,
    "SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_name = 'orders_bad' ORDER BY ordinal_position",
  );
  t.deepEqual(cols.at(-1), { column_name: '_synqx_error', data_type: 'text', is_nullable: 'NO' });
  // A log of rejections: not the source's primary key, or the next run's still-failing rows would collide.
  t.deepEqual(await sql(data, "SELECT constraint_name FROM information_schema.table_constraints WHERE table_name = 'orders_bad' AND constraint_type = 'PRIMARY KEY'"), []);

  const s = await steps(app, run.body.run_id);
  t.deepEqual([...s.keys()], ['read', 'check', 'check__quarantine', 'write']);
  const check = s.get('check');
  t.like(check, { status: 'warning', records_in: ROWS, records_out: ROWS - 3, records_error: 3, records_filtered: 0 });
  t.is(check.records_in, check.records_out + check.records_filtered + check.records_error);
  t.like(s.get('check__quarantine'), { status: 'success', operator_type: 'load', records_in: 3, records_out: 3 });
  t.like(s.get('write'), { status: 'success', records_out: ROWS - 3 });
  const r = await app.api('GET', `/api/v1/runs/${run.body.run_id}`);
  t.like(r.body, { total_failed: 3, total_loaded: ROWS });
});

test.serial('on_error fail: the run fails with the row, rule and value recorded; the destination is untouched', async (t) => {
  const { app, asset } = await setUp(t);
  const src = await asset('orders', false);
  const dst = await asset('orders_strict', true);
  // Only the very last row fails, so earlier batches were already written when the run fails.
  const p = await app.api('POST', '/api/v1/pipelines', pipeline('strict', src, dst, { rules: [{ column: 'id', rule: 'max', value: ROWS - 1 }] }));
  t.is(p.status, 201, p.text);
  const run = await app.api('POST', `/api/v1/pipelines/${p.body.id}/run?wait=true`);
  t.is(run.body.status, 'failed', run.text);
  const r = await app.api('GET', `/api/v1/runs/${run.body.run_id}`);
  t.regex(r.body.error_message, new RegExp(`validate rule max failed on column id: value ${ROWS} is greater than ${ROWS - 1}`));
  const s = await steps(app, run.body.run_id);
  t.like(s.get('check'), { status: 'failed', error_code: 'TRANSFORM_ERROR' });
  t.regex(s.get('check').error_message, /row \d+ of the batch: validate rule max failed on column id/);
  t.not(s.get('write').status, 'success');
  t.true(s.get('write').records_in > 0, 'rows had been written before the failure, and were rolled back');
  t.deepEqual(await sql(data, 'SELECT id, email, qty FROM orders_strict'), [{ id: 0, email: 'already@there', qty: 1 }]);
});

test.serial('quarantine_asset_id is validated with the rest of the version: all problems at once (422)', async (t) => {
  const { app, asset } = await setUp(t);
  const src = await asset('orders', false);
  const dst = await asset('orders_x', true);
  const notDestination = await asset('orders_src2', false);
  const version = pipeline('bad', src, dst, { rules: [{ column: 'id', rule: 'not_null' }], on_error: 'quarantine', quarantine_asset_id: notDestination }).initial_version;
  version.nodes.push(
    { node_id: 'check2', name: 'c2', operator_type: 'validate', operator_class: 'validate', order_index: 4, config: { rules: [{ column: 'id', rule: 'not_null' }], on_error: 'quarantine', quarantine_asset_id: 999_999 } } as never,
    { node_id: 'cast', name: 'cast', operator_type: 'transform', operator_class: 'type_cast', order_index: 5, config: { columns: { qty: 'int8' }, on_error: 'quarantine', quarantine_asset_id: dst } } as never,
    { node_id: 'cast2', name: 'cast2', operator_type: 'transform', operator_class: 'type_cast', order_index: 6, config: { columns: { qty: 'int8' }, on_error: 'quarantine' } } as never,
  );
  version.edges.push({ from_node_id: 'read', to_node_id: 'check2' }, { from_node_id: 'read', to_node_id: 'cast' }, { from_node_id: 'read', to_node_id: 'cast2' });
  const res = await app.api('POST', '/api/v1/pipelines', { name: 'bad', initial_version: version });
  t.is(res.status, 422, res.text);
  const problems = new Map((res.body.error.details as any[]).map((d) => [d.field, d]));
  t.like(problems.get('initial_version.nodes.1.config.quarantine_asset_id'), { error_type: 'asset_role' });
  t.like(problems.get('initial_version.nodes.3.config.quarantine_asset_id'), { error_type: 'asset_not_found' });
  t.like(problems.get('initial_version.nodes.4.config.quarantine_asset_id'), { error_type: 'asset_reused' });
  t.regex(problems.get('initial_version.nodes.5.config.quarantine_asset_id')?.message ?? '', /required when on_error is 'quarantine'/);
});
