import test from 'ava';
import { migrate, readMigrations } from '../../../src/store/migrate.js';
import { PgDb } from '../../../src/store/pg-db.js';
import { PgliteDb } from '../../../src/store/pglite-db.js';
import { ensureDatabase } from '../../../src/store/ensure-database.js';
import { createTestDatabase, urlForDatabase, withClient } from '../../helpers/pg.js';

const EXPECTED_TABLES = [
  'pipelines', 'pipeline_versions', 'pipeline_nodes', 'pipeline_edges', 'connections', 'assets',
  'jobs', 'pipeline_runs', 'step_runs', 'job_logs', 'step_logs', 'watermarks',
];

test('migrations create every contract table and re-running changes nothing (postgres)', async (t) => {
  const tdb = await createTestDatabase();
  t.teardown(() => tdb.drop());
  const db = new PgDb({ connectionString: tdb.url });
  t.teardown(() => db.close());
  const first = await migrate(db);
  t.true(first.length >= 1);
  const second = await migrate(db);
  t.deepEqual(second, []);
  const { rows } = await db.query<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
  );
  const names = rows.map((r) => r.table_name);
  for (const table of EXPECTED_TABLES) t.true(names.includes(table), table);
  const applied = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations');
  t.is(applied.rows[0]!.n, (await readMigrations()).length);
});

test('two processes migrating at once serialize on the advisory lock: each migration applied once', async (t) => {
  const tdb = await createTestDatabase();
  t.teardown(() => tdb.drop());
  const dbs = [0, 1, 2].map(() => new PgDb({ connectionString: tdb.url }));
  t.teardown(() => Promise.all(dbs.map((d) => d.close())));
  const results = await Promise.all(dbs.map((d) => migrate(d)));
  const total = results.reduce((n, r) => n + r.length, 0);
  t.is(total, (await readMigrations()).length);
  t.is(results.filter((r) => r.length > 0).length, 1);
});

test('migrations run the same on the embedded store and are idempotent there', async (t) => {
  const db = await PgliteDb.open();
  t.teardown(() => db.close());
  t.true((await migrate(db)).length >= 1);
  t.deepEqual(await migrate(db), []);
  const { rows } = await db.query<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
  );
  for (const table of EXPECTED_TABLES) t.true(rows.some((r) => r.table_name === table), table);
});

test('a migration edited after it was applied is refused, not re-run', async (t) => {
  const db = await PgliteDb.open();
  t.teardown(() => db.close());
  const files = await readMigrations();
  await migrate(db, files);
  const edited = files.map((f, i) => (i === 0 ? { ...f, checksum: 'different' } : f));
  await t.throwsAsync(() => migrate(db, edited), { message: /changed after it was applied/ });
});

test('ensureDatabase creates a missing database and is a no-op when it exists', async (t) => {
  const name = `synqx_t_ensure_${process.pid}`;
  const url = urlForDatabase(name);
  t.teardown(() => withClient(urlForDatabase('postgres'), (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)));
  await ensureDatabase(url);
  await ensureDatabase(url);
  const { rows } = await withClient(urlForDatabase('postgres'), (c) =>
    c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]),
  );
  t.is(rows.length, 1);
});
