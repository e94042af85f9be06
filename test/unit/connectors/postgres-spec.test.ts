import test from 'ava';
import { postgresAssetOptionsSchema, postgresConfigSchema } from '../../../src/connectors/postgres/spec.js';

const fields = { host: 'db.example', database: 'shop', username: 'app', password: 's3cret' };

function problemPaths(schema: { safeParse(v: unknown): { success: boolean; error?: { issues: { path: PropertyKey[]; code: string }[] } } }, v: unknown) {
  const r = schema.safeParse(v);
  if (r.success) return [];
  return r.error!.issues.flatMap((i) => (i.code === 'unrecognized_keys' ? (i as unknown as { keys: string[] }).keys : [i.path.map(String).join('.')]));
}

test('separate fields: port defaults to 5432 and db_schema to public', (t) => {
  t.deepEqual(postgresConfigSchema.parse(fields), { ...fields, port: 5432, db_schema: 'public' });
  const full = postgresConfigSchema.parse({ ...fields, port: 6543, db_schema: 'sales', sslmode: 'require', connect_timeout_seconds: 3 });
  t.like(full, { port: 6543, db_schema: 'sales', sslmode: 'require', connect_timeout_seconds: 3 });
});

test('password is optional (trust and peer setups), username/host/database are not', (t) => {
  const { password: _p, ...noPassword } = fields;
  t.true(postgresConfigSchema.safeParse(noPassword).success);
  t.deepEqual(problemPaths(postgresConfigSchema, { password: 'x' }).sort(), ['database', 'host', 'username']);
});

test('a dsn alone is a config; with db_schema default public', (t) => {
  t.deepEqual(postgresConfigSchema.parse({ dsn: 'postgresql://app:pw@db/shop' }), { dsn: 'postgresql://app:pw@db/shop', db_schema: 'public' });
  t.deepEqual(problemPaths(postgresConfigSchema, { dsn: 'mysql://x@y/z' }), ['dsn']);
});

test('a dsn together with separate fields is refused, naming each field', (t) => {
  t.deepEqual(problemPaths(postgresConfigSchema, { dsn: 'postgres://a@b/c', host: 'h', password: 'p' }).sort(), ['host', 'password']);
});

test('strict: unknown keys, wrong types and out-of-range values are each reported together', (t) => {
  const paths = problemPaths(postgresConfigSchema, { ...fields, port: 70000, prt: 1, sslmode: 'sometimes', connect_timeout_seconds: 0 });
  t.deepEqual(paths.sort(), ['connect_timeout_seconds', 'port', 'prt', 'sslmode']);
  t.deepEqual(problemPaths(postgresConfigSchema, { ...fields, host: 5 }), ['host']);
});

test('messages about a bad dsn do not repeat the dsn', (t) => {
  const r = postgresConfigSchema.safeParse({ dsn: 'http://user:topsecret@host/db' });
  t.false(r.success);
  t.false(JSON.stringify(r.error!.issues).includes('topsecret'));
});

test('asset options: defaults are append and create_if_missing', (t) => {
  t.deepEqual(postgresAssetOptionsSchema.parse({}), { write_mode: 'append', create_if_missing: true });
  const o = postgresAssetOptionsSchema.parse({ columns: ['a', 'b'], where: 'a > 1', batch_rows: 5000, batch_bytes: 1 << 20, commit_every_rows: 100000 });
  t.like(o, { columns: ['a', 'b'], where: 'a > 1', batch_rows: 5000, commit_every_rows: 100000 });
});

test('asset options: upsert needs upsert_keys, and upsert_keys need upsert', (t) => {
  t.deepEqual(problemPaths(postgresAssetOptionsSchema, { write_mode: 'upsert' }), ['upsert_keys']);
  t.deepEqual(problemPaths(postgresAssetOptionsSchema, { upsert_keys: ['id'] }), ['upsert_keys']);
  t.like(postgresAssetOptionsSchema.parse({ write_mode: 'upsert', upsert_keys: ['id'] }), { write_mode: 'upsert', upsert_keys: ['id'] });
});

test('asset options: query excludes columns and where; unknown keys and bad modes are refused', (t) => {
  t.deepEqual(problemPaths(postgresAssetOptionsSchema, { query: 'select 1', columns: ['a'], where: 'x' }).sort(), ['columns', 'where']);
  t.deepEqual(problemPaths(postgresAssetOptionsSchema, { write_mode: 'merge', batchrows: 5 }).sort(), ['batchrows', 'write_mode']);
  t.deepEqual(problemPaths(postgresAssetOptionsSchema, { batch_rows: 0, create_if_missing: 'yes' }).sort(), ['batch_rows', 'create_if_missing']);
});
