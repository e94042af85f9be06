import test from 'ava';
import { describeTarget, pgClientConfig, postgresSecretValues } from '../../../src/connectors/postgres/connect.js';
import { postgresConfigSchema } from '../../../src/connectors/postgres/spec.js';

const parse = (v: unknown) => postgresConfigSchema.parse(v);

test('separate fields become host/port/database/user/password with application_name synqx and a connect timeout', (t) => {
  const c = pgClientConfig(parse({ host: 'h', port: 6000, database: 'd', username: 'u', password: 'p' }));
  t.like(c, { host: 'h', port: 6000, database: 'd', user: 'u', password: 'p', application_name: 'synqx', connectionTimeoutMillis: 10_000 });
  t.is(c.connectionString, undefined);
  t.is(c.ssl, undefined);
});

test('without a password the client answers an empty one instead of borrowing PGPASSWORD', async (t) => {
  const c = pgClientConfig(parse({ host: 'h', database: 'd', username: 'u' }));
  t.is(typeof c.password, 'function');
  t.is(await (c.password as () => Promise<string> | string)(), '');
});

test('a dsn is passed as the connection string; timeouts and application name can be overridden', (t) => {
  const c = pgClientConfig(parse({ dsn: 'postgres://u:p@h:5433/d', connect_timeout_seconds: 4 }), { applicationName: 'synqx-test' });
  t.like(c, { connectionString: 'postgres://u:p@h:5433/d', application_name: 'synqx-test', connectionTimeoutMillis: 4000 });
  t.is(pgClientConfig(parse({ dsn: 'postgres://h/d' }), { connectTimeoutSeconds: 2 }).connectionTimeoutMillis, 2000);
});

test('sslmode maps onto the pg ssl option', (t) => {
  const ssl = (sslmode: string) => pgClientConfig(parse({ host: 'h', database: 'd', username: 'u', sslmode })).ssl;
  t.is(ssl('disable'), false);
  t.is(ssl('prefer'), false);
  t.deepEqual(ssl('require'), { rejectUnauthorized: false });
  t.deepEqual(ssl('no-verify'), { rejectUnauthorized: false });
  t.deepEqual(ssl('verify-full'), { rejectUnauthorized: true });
});

test('describeTarget names host, port and database, never credentials', (t) => {
  t.is(describeTarget(parse({ host: 'h', database: 'd', username: 'u', password: 'pw' })), 'h:5432/d');
  const s = describeTarget(parse({ dsn: 'postgresql://user:hidden@db.example:6432/shop?sslmode=require' }));
  t.is(s, 'db.example:6432/shop');
});

test('secret values include the password, the dsn, and the password inside a dsn raw and decoded', (t) => {
  t.deepEqual(postgresSecretValues(parse({ host: 'h', database: 'd', username: 'u', password: 'pw' })), ['pw']);
  t.deepEqual(postgresSecretValues(parse({ host: 'h', database: 'd', username: 'u' })), []);
  const dsn = 'postgresql://user:p%40ss@db/shop?password=qp';
  const v = postgresSecretValues(parse({ dsn }));
  t.true(v.includes(dsn));
  t.true(v.includes('p%40ss'));
  t.true(v.includes('p@ss'));
  t.true(v.includes('qp'));
});
