import { randomBytes } from 'node:crypto';
import test from 'ava';
import { startTestApp, type ApiResponse, type TestApp } from '../../helpers/test-app.js';

const C = '/api/v1/connections';
let app: TestApp;

test.before(async () => {
  app = await startTestApp({ store: 'pglite' });
});
test.after.always(async () => {
  await app?.close();
});

const uniq = (s: string) => `${s}-${randomBytes(3).toString('hex')}`;
const fields = (r: ApiResponse) => (r.body.error.details as { field: string }[]).map((p) => p.field).sort();

async function connection(extra: Record<string, unknown> = {}): Promise<number> {
  const r = await app.api('POST', C, {
    name: uniq('conn'),
    connector_type: 'postgresql',
    config: { host: '127.0.0.1', database: 'shop', username: 'etl', password: 'asset-test-pw', ...extra },
  });
  if (r.status !== 201) throw new Error(r.text);
  return r.body.id;
}

test('POST creates an asset with the defaults of the contract', async (t) => {
  const cid = await connection();
  const r = await app.api('POST', `${C}/${cid}/assets/`, { name: 'customers', description: 'all customers' });
  t.is(r.status, 201, r.text);
  t.like(r.body, {
    connection_id: cid,
    name: 'customers',
    asset_type: 'table',
    fully_qualified_name: 'public.customers',
    is_source: true,
    is_destination: false,
    is_incremental_capable: false,
    description: 'all customers',
    schema_metadata: null,
  });
  t.deepEqual(r.body.config, { write_mode: 'append', create_if_missing: true });
  const got = await app.api('GET', `${C}/${cid}/assets/${r.body.id}/`);
  t.deepEqual(got.body, r.body);
});

test('the default qualified name uses the connection db_schema and quotes parts that need it', async (t) => {
  const cid = await connection({ db_schema: 'Sales' });
  const a = await app.api('POST', `${C}/${cid}/assets`, { name: 'Targets' });
  t.is(a.body.fully_qualified_name, 'Sales.Targets');
  const b = await app.api('POST', `${C}/${cid}/assets`, { name: 'odd.name' });
  t.is(b.body.fully_qualified_name, 'Sales."odd.name"');
  const c = await app.api('POST', `${C}/${cid}/assets`, { name: 'given', fully_qualified_name: 'archive.given_2020' });
  t.is(c.body.fully_qualified_name, 'archive.given_2020');
});

test('destinations, upserts and query assets are accepted with their options', async (t) => {
  const cid = await connection();
  const dest = await app.api('POST', `${C}/${cid}/assets`, {
    name: 'dim_customer',
    is_source: false,
    is_destination: true,
    config: { write_mode: 'upsert', upsert_keys: ['id'], commit_every_rows: 50000, batch_rows: 10000 },
  });
  t.is(dest.status, 201, dest.text);
  t.like(dest.body.config, { write_mode: 'upsert', upsert_keys: ['id'], commit_every_rows: 50000, create_if_missing: true });
  const q = await app.api('POST', `${C}/${cid}/assets`, { name: 'recent', asset_type: 'query', config: { query: 'SELECT * FROM orders WHERE d > now() - interval \'1 day\'' } });
  t.is(q.status, 201, q.text);
  t.is(q.body.fully_qualified_name, null);
});

test('POST answers one 422 listing body and option problems together', async (t) => {
  const cid = await connection();
  const r = await app.api('POST', `${C}/${cid}/assets`, {
    asset_type: 'view',
    is_destination: true,
    is_source: 'yes',
    config: { write_mode: 'upsert', colour: 'red' },
  });
  t.is(r.status, 422);
  t.deepEqual(fields(r), ['config.colour', 'config.upsert_keys', 'is_destination', 'is_source', 'name']);
});

test('query assets need a query; tables may not have one; bad names and types are refused', async (t) => {
  const cid = await connection();
  t.deepEqual(fields(await app.api('POST', `${C}/${cid}/assets`, { name: 'q', asset_type: 'query' })), ['config.query']);
  t.deepEqual(fields(await app.api('POST', `${C}/${cid}/assets`, { name: 't', config: { query: 'select 1' } })), ['config.query']);
  t.deepEqual(fields(await app.api('POST', `${C}/${cid}/assets`, { name: 't', asset_type: 'file' })), ['asset_type']);
  t.deepEqual(fields(await app.api('POST', `${C}/${cid}/assets`, { name: 't', fully_qualified_name: 'a.b.c' })), ['fully_qualified_name']);
  t.deepEqual(fields(await app.api('POST', `${C}/${cid}/assets`, { name: 'x'.repeat(256) })), ['name']);
});

test('a duplicate asset name (any case) within a connection is 409; the same name on another connection is fine', async (t) => {
  const c1 = await connection();
  const c2 = await connection();
  t.is((await app.api('POST', `${C}/${c1}/assets`, { name: 'Orders' })).status, 201);
  const dup = await app.api('POST', `${C}/${c1}/assets`, { name: 'ORDERS' });
  t.is(dup.status, 409);
  t.is(dup.body.error.code, 'CONFLICT');
  t.is((await app.api('POST', `${C}/${c2}/assets`, { name: 'orders' })).status, 201);
});

test('unknown connection or asset is 404, and so is an asset id under the wrong connection', async (t) => {
  const c1 = await connection();
  const c2 = await connection();
  const a = await app.api('POST', `${C}/${c1}/assets`, { name: 'only-on-c1' });
  for (const [method, path, body] of [
    ['GET', `${C}/${c2}/assets/${a.body.id}`, undefined],
    ['PATCH', `${C}/${c2}/assets/${a.body.id}`, { description: 'x' }],
    ['DELETE', `${C}/${c2}/assets/${a.body.id}`, undefined],
    ['GET', `${C}/${c1}/assets/999999`, undefined],
    ['GET', `${C}/999999/assets`, undefined],
    ['POST', `${C}/999999/assets`, { name: 'x' }],
  ] as const) {
    t.is((await app.api(method, path, body)).status, 404, `${method} ${path}`);
  }
  t.is((await app.api('GET', `${C}/${c1}/assets/${a.body.id}`)).status, 200);
  t.is((await app.api('GET', `${C}/${c1}/assets/zero`)).status, 422);
});

test('GET lists a connection’s assets oldest first with total, limit and offset', async (t) => {
  const cid = await connection();
  for (const name of ['a1', 'a2', 'a3']) await app.api('POST', `${C}/${cid}/assets`, { name });
  const all = await app.api('GET', `${C}/${cid}/assets`);
  t.deepEqual(all.body.assets.map((a: { name: string }) => a.name), ['a1', 'a2', 'a3']);
  t.like(all.body, { total: 3, limit: 100, offset: 0 });
  const page = await app.api('GET', `${C}/${cid}/assets?limit=1&offset=1`);
  t.deepEqual(page.body.assets.map((a: { name: string }) => a.name), ['a2']);
  t.is(page.body.total, 3);
});

test('PATCH merges options (null removes), a default qualified name follows a rename, a written one stays', async (t) => {
  const cid = await connection();
  const a = await app.api('POST', `${C}/${cid}/assets`, { name: 'events', config: { columns: ['id', 'at'], batch_rows: 500 } });
  const r = await app.api('PATCH', `${C}/${cid}/assets/${a.body.id}`, { name: 'events_v2', config: { batch_rows: null, where: 'at > now()' } });
  t.is(r.status, 200, r.text);
  t.is(r.body.fully_qualified_name, 'public.events_v2');
  t.deepEqual(r.body.config, { columns: ['id', 'at'], where: 'at > now()', write_mode: 'append', create_if_missing: true });
  const own = await app.api('PATCH', `${C}/${cid}/assets/${a.body.id}`, { fully_qualified_name: 'raw.events' });
  t.is(own.body.fully_qualified_name, 'raw.events');
  const renamed = await app.api('PATCH', `${C}/${cid}/assets/${a.body.id}`, { name: 'events_v3', is_destination: true });
  t.is(renamed.body.fully_qualified_name, 'raw.events');
  t.true(renamed.body.is_destination);
});

test('PATCH failures: bad options, query on a table, view as destination, unknown field, duplicate name', async (t) => {
  const cid = await connection();
  const a = await app.api('POST', `${C}/${cid}/assets`, { name: 'p1' });
  await app.api('POST', `${C}/${cid}/assets`, { name: 'p2' });
  const path = `${C}/${cid}/assets/${a.body.id}`;
  t.deepEqual(fields(await app.api('PATCH', path, { config: { write_mode: 'upsert' } })), ['config.upsert_keys']);
  t.deepEqual(fields(await app.api('PATCH', path, { config: { query: 'select 1' } })), ['config.query']);
  t.deepEqual(fields(await app.api('PATCH', path, { asset_type: 'view', is_destination: true })), ['is_destination']);
  t.is((await app.api('PATCH', path, { connection_id: 5 })).status, 422);
  t.is((await app.api('PATCH', path, { name: 'P2' })).status, 409);
  t.is((await app.api('GET', path)).body.name, 'p1', 'a refused PATCH changes nothing');
});

test('DELETE answers 204, then the asset is 404 and its name is free again', async (t) => {
  const cid = await connection();
  const a = await app.api('POST', `${C}/${cid}/assets`, { name: 'temp' });
  const del = await app.api('DELETE', `${C}/${cid}/assets/${a.body.id}`);
  t.is(del.status, 204);
  t.is((await app.api('GET', `${C}/${cid}/assets/${a.body.id}`)).status, 404);
  t.is((await app.api('DELETE', `${C}/${cid}/assets/${a.body.id}`)).status, 404);
  t.is((await app.api('GET', `${C}/${cid}/assets`)).body.total, 0);
  t.is((await app.api('POST', `${C}/${cid}/assets`, { name: 'temp' })).status, 201);
});

test('findUsable gives pipelines only live assets of live connections', async (t) => {
  const c1 = await connection();
  const c2 = await connection();
  const a = (await app.api('POST', `${C}/${c1}/assets`, { name: 'u1' })).body.id;
  const b = (await app.api('POST', `${C}/${c2}/assets`, { name: 'u2' })).body.id;
  const c = (await app.api('POST', `${C}/${c1}/assets`, { name: 'u3' })).body.id;
  await app.api('DELETE', `${C}/${c1}/assets/${c}`);
  await app.api('DELETE', `${C}/${c2}`);
  const usable = await app.services.connections.assets.findUsable([a, b, c]);
  t.deepEqual(usable.map((u) => u.id), [a]);
});
