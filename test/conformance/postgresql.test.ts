import { randomBytes } from 'node:crypto';
import test from 'ava';
import { postgresConnector } from '../../src/connectors/postgres/postgres-connector.js';
import { quoteIdent } from '../../src/core/sql.js';
import { createTestDatabase, TEST_PG_URL, withClient } from '../helpers/pg.js';
import { connectorConformance } from './connector-conformance.js';
import { startPasswordStub } from './pg-password-stub.js';

const base = new URL(TEST_PG_URL);
const host = base.hostname;
const port = Number(base.port || 5432);
const username = decodeURIComponent(base.username) || 'root';
const secret = () => `Pw-${randomBytes(8).toString('hex')}`;

connectorConformance(test, {
  connector: postgresConnector,
  invalidConfigs: [
    { name: 'missing host', config: { database: 'd', username: 'u' }, field: 'host' },
    { name: 'port out of range', config: { host: 'h', port: 0, database: 'd', username: 'u' }, field: 'port' },
    { name: 'port as text', config: { host: 'h', port: 'x', database: 'd', username: 'u' }, field: 'port' },
    { name: 'typo in a key', config: { host: 'h', database: 'd', user: 'u' }, field: 'user' },
    { name: 'dsn with fields', config: { dsn: 'postgres://h/d', host: 'h' }, field: 'host' },
    { name: 'non-postgres dsn', config: { dsn: 'mysql://h/d' }, field: 'dsn' },
    { name: 'unknown sslmode', config: { host: 'h', database: 'd', username: 'u', sslmode: 'maybe' }, field: 'sslmode' },
  ],
  async target() {
    const db = await createTestDatabase('synqx_conf');
    const password = secret();
    return {
      // The loopback server trusts this user, so any password is accepted; it is still a secret to guard.
      config: { host, port, database: db.name, username, password },
      secret: password,
      createTable: (name, rows) =>
        withClient(db.url, async (c) => {
          await c.query(`CREATE TABLE ${quoteIdent(name)} (id int PRIMARY KEY, label text)`);
          await c.query(`INSERT INTO ${quoteIdent(name)} SELECT g, 'row ' || g FROM generate_series(1, $1::int) g`, [rows]);
        }),
      close: () => db.drop(),
    };
  },
  unreachable: (password) => ({ host: '127.0.0.1', port: 1, database: 'nowhere', username: 'nobody', password, connect_timeout_seconds: 3 }),
  rejecting: [
    {
      name: 'a wrong password',
      async open() {
        const stub = await startPasswordStub();
        const password = secret();
        return {
          config: { host: '127.0.0.1', port: stub.port, database: 'shop', username: 'app', password, connect_timeout_seconds: 3 },
          secret: password,
          expect: /password authentication failed for user "app"/,
          close: () => stub.close(),
        };
      },
    },
    {
      name: 'a wrong password given in a DSN',
      async open() {
        const stub = await startPasswordStub();
        const password = secret();
        return {
          config: { dsn: `postgresql://app:${password}@127.0.0.1:${stub.port}/shop`, connect_timeout_seconds: 3 },
          secret: password,
          expect: /password authentication failed/,
          close: () => stub.close(),
        };
      },
    },
    {
      name: 'an unknown database (real server)',
      async open() {
        const password = secret();
        const missing = `synqx_missing_${randomBytes(4).toString('hex')}`;
        return {
          config: { host, port, database: missing, username, password },
          secret: password,
          expect: new RegExp(`database "${missing}" does not exist`),
          close: async () => {},
        };
      },
    },
  ],
});

test('the password stub really receives the password the client sends', async (t) => {
  const stub = await startPasswordStub();
  t.teardown(() => stub.close());
  const password = secret();
  const r = await postgresConnector.test(postgresConnector.configSchema.parse({ host: '127.0.0.1', port: stub.port, database: 'd', username: 'u', password }));
  t.false(r.success);
  t.deepEqual(stub.received, [password]);
  t.is(r.details.code, '28P01');
  t.regex(r.message, /\(got "\*{8}"\)/);
});
