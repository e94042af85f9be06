import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import test from 'ava';
import { createServices } from '../../../src/services/container.js';
import { createLogger } from '../../../src/platform/logger.js';
import { startPasswordStub } from '../../conformance/pg-password-stub.js';
import { createTestDatabase, TEST_PG_URL, withClient, type TestDatabase } from '../../helpers/pg.js';
import { startTestApp, type ApiResponse, type TestApp } from '../../helpers/test-app.js';

const run = promisify(execFile);
const base = new URL(TEST_PG_URL);
const pgHost = base.hostname;
const pgPort = Number(base.port || 5432);
const pgUser = decodeURIComponent(base.username) || 'root';
const secret = () => `Pw-${randomBytes(10).toString('hex')}`;
const C = '/api/v1/connections';

let app: TestApp;
let scratch: TestDatabase;

test.before(async () => {
  app = await startTestApp();
  scratch = await createTestDatabase('synqx_scratch');
  await withClient(scratch.url, async (c) => {
    await c.query(`
      CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, email varchar(200), created_at timestamptz DEFAULT now());
      INSERT INTO customers (id, name) SELECT g, 'c' || g FROM generate_series(1, 250) g;
      CREATE TABLE order_lines (order_id int, line_no int, amount numeric(12,2) NOT NULL, tags text[], PRIMARY KEY (order_id, line_no));
      INSERT INTO order_lines SELECT g / 3, g % 3, g * 1.5, NULL FROM generate_series(1, 30) g;
      CREATE TABLE no_key (v jsonb);
      CREATE VIEW big_customers AS SELECT * FROM customers WHERE id > 100;
      CREATE SCHEMA sales;
      CREATE TABLE sales.targets (region text PRIMARY KEY, goal bigint);
      ANALYZE;
    `);
  });
});

test.after.always(async () => {
  await app?.close();
  await scratch?.drop();
});

const pgConfig = (database: string, password = secret()) => ({ host: pgHost, port: pgPort, database, username: pgUser, password });

async function create(name: string, config: Record<string, unknown> = pgConfig('postgres'), extra: Record<string, unknown> = {}): Promise<ApiResponse> {
  const r = await app.api('POST', C, { name, connector_type: 'postgresql', config, ...extra });
  if (r.status !== 201) throw new Error(`create ${name}: ${r.status} ${r.text}`);
  return r;
}

const uniq = (s: string) => `${s}-${randomBytes(3).toString('hex')}`;
const fields = (r: ApiResponse) => (r.body.error.details as { field: string }[]).map((p) => p.field).sort();

test('POST creates a connection (201) with defaults filled in and the password masked; the alias postgres is stored as postgresql', async (t) => {
  const name = uniq('warehouse');
  const password = secret();
  const r = await app.api('POST', `${C}/`, {
    name,
    connector_type: 'postgres',
    description: 'main',
    tags: { team: 'data' },
    config: { host: 'db.internal', database: 'shop', username: 'etl', password },
  });
  t.is(r.status, 201);
  t.like(r.body, { name, connector_type: 'postgresql', description: 'main', tags: { team: 'data' }, health_status: 'unknown', last_test_at: null });
  t.deepEqual(r.body.config, { host: 'db.internal', port: 5432, database: 'shop', username: 'etl', password: '********', db_schema: 'public' });
  t.false(r.text.includes(password));
  t.is(typeof r.body.created_at, 'string');
  const got = await app.api('GET', `${C}/${r.body.id}/`);
  t.is(got.status, 200);
  t.deepEqual(got.body, r.body);
});

test('a DSN is masked whole', async (t) => {
  const pw = secret();
  const r = await create(uniq('dsn'), { dsn: `postgresql://etl:${pw}@db.internal:5432/shop` });
  t.deepEqual(r.body.config, { dsn: '********', db_schema: 'public' });
});

// Serial: concurrent tests would add connections between the two reads.
test.serial('GET lists connections newest first with total, limit and offset', async (t) => {
  const a = await create(uniq('list-a'));
  const b = await create(uniq('list-b'));
  const r = await app.api('GET', `${C}?limit=1000`);
  t.is(r.status, 200);
  const ids = r.body.connections.map((c: { id: number }) => c.id);
  t.true(ids.indexOf(b.body.id) < ids.indexOf(a.body.id));
  t.is(r.body.total, ids.length);
  t.is(r.body.limit, 1000);
  t.is(r.body.offset, 0);
  const page = await app.api('GET', `${C}/?limit=1&offset=1`);
  t.is(page.body.connections.length, 1);
  t.is(page.body.connections[0].id, ids[1]);
  t.is((await app.api('GET', `${C}?connector_type=postgres`)).status, 200);
  t.deepEqual(fields(await app.api('GET', `${C}?limit=0&offset=-1`)), ['query.limit', 'query.offset']);
  t.is((await app.api('GET', `${C}?connector_type=oracle`)).status, 422);
});

test('POST answers one 422 listing every problem: body fields, unknown connector type', async (t) => {
  const r = await app.api('POST', C, { name: '', connector_type: 'mysql', config: {}, colour: 'red' });
  t.is(r.status, 422);
  t.is(r.body.error.code, 'VALIDATION_FAILED');
  t.deepEqual(fields(r), ['(root)', 'connector_type', 'name']);
  for (const p of r.body.error.details) t.truthy(p.message && p.error_type);
});

test('POST answers one 422 with every config problem at its own path, without echoing the password', async (t) => {
  const password = secret();
  const r = await app.api('POST', C, { name: 5, connector_type: 'postgresql', config: { host: 7, port: 99999, prt: 1, password } });
  t.is(r.status, 422);
  t.deepEqual(fields(r), ['config.database', 'config.host', 'config.port', 'config.prt', 'config.username', 'name']);
  t.false(r.text.includes(password));
  const dsn = await app.api('POST', C, { name: uniq('x'), connector_type: 'postgresql', config: { dsn: `mysql://u:${password}@h/d`, host: 'h' } });
  t.deepEqual(fields(dsn), ['config.dsn', 'config.host']);
  t.false(dsn.text.includes(password));
});

test('POST refuses the mask as a secret (a GET answer pasted back as a new connection)', async (t) => {
  const r = await app.api('POST', C, { name: uniq('clone'), connector_type: 'postgresql', config: { ...pgConfig('postgres'), password: '********' } });
  t.is(r.status, 422);
  t.deepEqual(fields(r), ['config.password']);
});

test('malformed JSON is 400, a missing body is 422', async (t) => {
  t.is((await app.api('POST', C, '{"name": ')).status, 400);
  t.is((await app.api('POST', C)).status, 422);
});

test('a duplicate name (any case) among live connections is 409; after delete the name is free again', async (t) => {
  const name = uniq('Dup');
  const first = await create(name);
  const r = await app.api('POST', C, { name: name.toUpperCase(), connector_type: 'postgresql', config: pgConfig('postgres') });
  t.is(r.status, 409);
  t.is(r.body.error.code, 'CONFLICT');
  t.is((await app.api('DELETE', `${C}/${first.body.id}`)).status, 204);
  t.is((await app.api('POST', C, { name, connector_type: 'postgresql', config: pgConfig('postgres') })).status, 201);
});

test('unknown ids are 404, non-numeric ids 422', async (t) => {
  for (const [method, path] of [
    ['GET', `${C}/999999`],
    ['PATCH', `${C}/999999`],
    ['DELETE', `${C}/999999`],
    ['POST', `${C}/999999/test`],
    ['POST', `${C}/999999/discover`],
  ] as const) {
    const r = await app.api(method, path, method === 'PATCH' ? { description: 'x' } : undefined);
    t.is(r.status, 404, `${method} ${path}`);
  }
  t.is((await app.api('GET', `${C}/abc`)).status, 422);
});

test('PATCH renames and merges config; "********" keeps the stored password, a new one replaces it', async (t) => {
  const original = secret();
  const c = await create(uniq('patch'), pgConfig('postgres', original));
  const id = c.body.id;
  const r = await app.api('PATCH', `${C}/${id}`, { name: uniq('renamed'), tags: ['x'], config: { ...c.body.config, host: '127.0.0.2' } });
  t.is(r.status, 200);
  t.is(r.body.config.host, '127.0.0.2');
  t.is(r.body.config.password, '********');
  t.deepEqual(r.body.tags, ['x']);
  t.is((await app.services.connections.open(id)).config.password, original);

  await app.api('PATCH', `${C}/${id}`, { config: { port: 6543 } });
  t.like((await app.services.connections.open(id)).config, { host: '127.0.0.2', port: 6543, password: original });

  const replaced = secret();
  t.is((await app.api('PATCH', `${C}/${id}`, { config: { password: replaced } })).status, 200);
  t.is((await app.services.connections.open(id)).config.password, replaced);
});

test('PATCH can switch a connection to a DSN by removing the separate fields with null', async (t) => {
  const c = await create(uniq('switch'));
  const id = c.body.id;
  const clash = await app.api('PATCH', `${C}/${id}`, { config: { dsn: 'postgresql://u@h/d' } });
  t.is(clash.status, 422);
  t.true(fields(clash).includes('config.host'));
  const pw = secret();
  const r = await app.api('PATCH', `${C}/${id}`, {
    config: { dsn: `postgresql://u:${pw}@h/d`, host: null, port: null, database: null, username: null, password: null },
  });
  t.is(r.status, 200, r.text);
  t.deepEqual(r.body.config, { dsn: '********', db_schema: 'public' });
  t.is((await app.services.connections.open(id)).config.dsn, `postgresql://u:${pw}@h/d`);
  const keep = await app.api('PATCH', `${C}/${id}`, { config: { dsn: '********', db_schema: 'sales' } });
  t.is(keep.status, 200);
  t.like((await app.services.connections.open(id)).config, { dsn: `postgresql://u:${pw}@h/d`, db_schema: 'sales' });
});

test('PATCH failures: mask for an absent secret, bad config, unknown field, duplicate name', async (t) => {
  const { password: _p, ...noPassword } = pgConfig('postgres');
  const c = await create(uniq('nopw'), noPassword);
  const other = await create(uniq('other'));
  const id = c.body.id;
  t.deepEqual(fields(await app.api('PATCH', `${C}/${id}`, { config: { password: '********' } })), ['config.password']);
  t.deepEqual(fields(await app.api('PATCH', `${C}/${id}`, { config: { port: 'x', sslmode: 'sometimes' } })), ['config.port', 'config.sslmode']);
  t.is((await app.api('PATCH', `${C}/${id}`, { connector_type: 'mysql' })).status, 422);
  t.is((await app.api('PATCH', `${C}/${id}`, { name: other.body.name.toUpperCase() })).status, 409);
  t.is((await app.api('PATCH', `${C}/${id}`, { name: c.body.name })).status, 200, 'keeping its own name is no conflict');
});

test('DELETE answers 204; the connection is gone for every route, and its assets are unusable', async (t) => {
  const c = await create(uniq('gone'));
  const id = c.body.id;
  const a = await app.api('POST', `${C}/${id}/assets`, { name: 'customers' });
  t.is(a.status, 201);
  const del = await app.api('DELETE', `${C}/${id}/`);
  t.is(del.status, 204);
  t.is(del.text, '');
  for (const [method, path] of [
    ['GET', `${C}/${id}`],
    ['PATCH', `${C}/${id}`],
    ['DELETE', `${C}/${id}`],
    ['POST', `${C}/${id}/test`],
    ['POST', `${C}/${id}/discover`],
    ['GET', `${C}/${id}/assets`],
    ['POST', `${C}/${id}/assets`],
    ['GET', `${C}/${id}/assets/${a.body.id}`],
  ] as const) {
    const body = method === 'PATCH' || (method === 'POST' && path.endsWith('/assets')) ? { name: 'x' } : undefined;
    t.is((await app.api(method, path, body)).status, 404, `${method} ${path}`);
  }
  t.deepEqual(await app.services.connections.assets.findUsable([a.body.id]), []);
});

test('POST /test succeeds against the real Postgres, measures latency and marks the connection healthy', async (t) => {
  const c = await create(uniq('ok'), pgConfig(scratch.name));
  const r = await app.api('POST', `${C}/${c.body.id}/test/`);
  t.is(r.status, 200);
  t.true(r.body.success, r.body.message);
  t.true(r.body.latency_ms > 0);
  t.like(r.body.details, { database: scratch.name, user: pgUser, schema: 'public', schema_exists: true });
  const after = await app.api('GET', `${C}/${c.body.id}`);
  t.is(after.body.health_status, 'healthy');
  t.truthy(after.body.last_test_at);
});

test('POST /test answers 200 with success false for an unreachable port, without the password', async (t) => {
  const password = secret();
  const c = await create(uniq('down'), { host: '127.0.0.1', port: 1, database: 'x', username: 'u', password, connect_timeout_seconds: 3 });
  const r = await app.api('POST', `${C}/${c.body.id}/test`);
  t.is(r.status, 200);
  t.false(r.body.success);
  t.regex(r.body.message, /ECONNREFUSED/);
  t.false(r.text.includes(password));
  t.is((await app.api('GET', `${C}/${c.body.id}`)).body.health_status, 'unhealthy');
});

test('POST /test reports a rejected password with the server text, scrubbing a password the server echoed', async (t) => {
  const stub = await startPasswordStub();
  t.teardown(() => stub.close());
  const password = secret();
  const c = await create(uniq('badpw'), { host: '127.0.0.1', port: stub.port, database: 'shop', username: 'app', password });
  const r = await app.api('POST', `${C}/${c.body.id}/test`);
  t.is(r.status, 200);
  t.false(r.body.success);
  t.regex(r.body.message, /password authentication failed for user "app"/);
  t.is(r.body.details.code, '28P01');
  t.deepEqual(stub.received, [password]);
  t.false(r.text.includes(password));
});

test('POST /discover lists tables with format_type columns, nullability, defaults, primary keys and row estimates', async (t) => {
  const c = await create(uniq('disc'), pgConfig(scratch.name));
  const r = await app.api('POST', `${C}/${c.body.id}/discover`);
  t.is(r.status, 200, r.text);
  t.deepEqual(r.body.assets.map((a: { name: string }) => a.name), ['customers', 'no_key', 'order_lines']);
  t.is(r.body.discovered_count, 3);
  t.is(r.body.created_count, 0);
  const customers = r.body.assets[0];
  t.like(customers, { type: 'table', schema: 'public', row_count: 250, primary_key: ['id'] });
  t.true(customers.size_bytes > 0);
  t.deepEqual(customers.columns, [
    { name: 'id', type: 'integer', nullable: false },
    { name: 'name', type: 'text', nullable: false },
    { name: 'email', type: 'character varying(200)', nullable: true },
    { name: 'created_at', type: 'timestamp with time zone', nullable: true, default: 'now()' },
  ]);
  const lines = r.body.assets[2];
  t.deepEqual(lines.primary_key, ['order_id', 'line_no']);
  t.is(lines.row_count, 30);
  t.deepEqual(lines.columns.map((x: { type: string }) => x.type), ['integer', 'integer', 'numeric(12,2)', 'text[]']);
  t.deepEqual(r.body.assets[1].primary_key, []);
});

test('POST /discover with include_views and another schema', async (t) => {
  const c = await create(uniq('disc2'), pgConfig(scratch.name));
  const views = await app.api('POST', `${C}/${c.body.id}/discover`, { include_views: true });
  const view = views.body.assets.find((a: { name: string }) => a.name === 'big_customers');
  t.like(view, { type: 'view', schema: 'public' });
  t.is(views.body.discovered_count, 4);
  const sales = await app.api('POST', `${C}/${c.body.id}/discover`, { schema: 'sales' });
  t.deepEqual(sales.body.assets.map((a: { name: string; primary_key: string[] }) => [a.name, a.primary_key]), [['targets', ['region']]]);
  t.deepEqual(fields(await app.api('POST', `${C}/${c.body.id}/discover`, { include_views: 'yes', bogus: 1 })), ['(root)', 'include_views']);
});

test('POST /discover with create_assets registers new tables once and reports which', async (t) => {
  const c = await create(uniq('disc3'), pgConfig(scratch.name));
  const id = c.body.id;
  const pre = await app.api('POST', `${C}/${id}/assets`, { name: 'Customers' });
  t.is(pre.status, 201);
  const r = await app.api('POST', `${C}/${id}/discover`, { create_assets: true });
  t.is(r.status, 200);
  t.is(r.body.created_count, 2);
  t.deepEqual(r.body.created_assets.map((a: { name: string; fully_qualified_name: string }) => [a.name, a.fully_qualified_name]), [
    ['no_key', 'public.no_key'],
    ['order_lines', 'public.order_lines'],
  ]);
  t.deepEqual(r.body.created_assets[1].schema_metadata.primary_key, ['order_id', 'line_no']);
  const again = await app.api('POST', `${C}/${id}/discover`, { create_assets: true });
  t.is(again.body.created_count, 0);
  const other = await app.api('POST', `${C}/${id}/discover`, { create_assets: true, schema: 'sales' });
  t.deepEqual(other.body.created_assets.map((a: { name: string; fully_qualified_name: string }) => [a.name, a.fully_qualified_name]), [
    ['sales.targets', 'sales.targets'],
  ]);
  t.is((await app.api('GET', `${C}/${id}/assets`)).body.total, 4);
});

test('POST /discover on an unreachable target is 502 without the password', async (t) => {
  const password = secret();
  const c = await create(uniq('disc-down'), { host: '127.0.0.1', port: 1, database: 'x', username: 'u', password, connect_timeout_seconds: 3 });
  const r = await app.api('POST', `${C}/${c.body.id}/discover`);
  t.is(r.status, 502);
  t.is(r.body.error.code, 'CONNECTION_FAILED');
  t.regex(r.body.error.message, /ECONNREFUSED/);
  t.false(r.text.includes(password));
});

test('the password is nowhere in responses, logs or a pg_dump after create/get/list/patch/test/discover', async (t) => {
  const own = await startTestApp();
  t.teardown(() => own.close());
  const stub = await startPasswordStub();
  t.teardown(() => stub.close());
  const pw = secret();
  const dsnPw = secret();
  const newPw = secret();
  const stubPw = secret();
  const texts: string[] = [];
  const call = async (method: string, path: string, body?: unknown) => {
    const r = await own.api(method, path, body);
    texts.push(r.text);
    return r;
  };
  const a = await call('POST', C, { name: 'leak-a', connector_type: 'postgresql', config: pgConfig(scratch.name, pw) });
  const b = await call('POST', C, { name: 'leak-b', connector_type: 'postgresql', config: { dsn: `postgresql://${pgUser}:${dsnPw}@${pgHost}:${pgPort}/${scratch.name}` } });
  const s = await call('POST', C, { name: 'leak-s', connector_type: 'postgresql', config: { host: '127.0.0.1', port: stub.port, database: 'd', username: 'u', password: stubPw } });
  t.is(a.status, 201);
  t.is(b.status, 201);
  for (const c of [a, b, s]) {
    await call('GET', `${C}/${c.body.id}`);
    await call('POST', `${C}/${c.body.id}/test`);
  }
  await call('GET', C);
  await call('PATCH', `${C}/${a.body.id}`, { config: { ...a.body.config, db_schema: 'public' } });
  await call('POST', `${C}/${a.body.id}/discover`, { create_assets: true, include_views: true });
  await call('POST', `${C}/${b.body.id}/discover`);
  await call('GET', `${C}/${a.body.id}/assets`);
  await call('PATCH', `${C}/${a.body.id}`, { config: { password: newPw } });
  await call('POST', `${C}/${a.body.id}/test`);
  await call('POST', C, { name: 'leak-bad', connector_type: 'postgresql', config: { dsn: `bad://u:${pw}@h`, password: newPw } });
  t.is(stub.received.length, 1, 'the stub got the password, so it had a chance to leak');

  const dump = (await run('pg_dump', ['--no-owner', own.store.url!], { maxBuffer: 64 * 1024 * 1024 })).stdout;
  t.regex(dump, /COPY public\.connections/);
  const sealed = await own.store.db.query<{ config_encrypted: string }>('SELECT config_encrypted FROM connections');
  t.is(sealed.rows.length, 3);
  const places = { responses: texts.join('\n'), logs: own.logs.join('\n'), dump };
  t.true(own.logs.length > 10);
  for (const [where, text] of Object.entries(places)) {
    for (const p of [pw, dsnPw, newPw, stubPw]) t.false(text.includes(p), `${p.slice(0, 5)}… found in ${where}`);
  }
});

test('a service started with another MASTER_PASSWORD refuses the store, and says why', async (t) => {
  await create(uniq('sealed'));
  const logger = createLogger({ level: 'silent', json: true, destination: { write: () => {} } });
  const err = await t.throwsAsync(createServices({ db: app.store.db, config: { masterPassword: 'not-the-right-one' }, logger, dispatch: app.services }));
  t.is((err as { code?: string }).code, 'CONFIG_INVALID');
  t.regex(err.message, /MASTER_PASSWORD does not match vault key .* sealed the stored connections/);
  t.false(err.message.includes('not-the-right-one'));
  t.false(err.message.includes('test-master-password'));
});

test('the OpenAPI document describes every connection and asset route with request and response schemas', async (t) => {
  const r = await app.api('GET', '/openapi.json');
  const paths = r.body.paths;
  t.truthy(paths['/api/v1/connections'].post.requestBody);
  t.truthy(paths['/api/v1/connections'].post.responses['201'].content);
  t.truthy(paths['/api/v1/connections/{id}'].patch.requestBody);
  t.truthy(paths['/api/v1/connections/{id}'].delete.responses['204']);
  t.truthy(paths['/api/v1/connections/{id}/test'].post.responses['200'].content);
  t.truthy(paths['/api/v1/connections/{id}/discover'].post.requestBody);
  t.truthy(paths['/api/v1/connections/{id}/assets'].post.requestBody);
  t.deepEqual(Object.keys(paths['/api/v1/connections/{id}/assets/{aid}']).sort(), ['delete', 'get', 'patch']);
  t.deepEqual(paths['/api/v1/connections'].get.parameters.map((p: { name: string }) => p.name).sort(), ['connector_type', 'limit', 'offset']);
});
