import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { createTestDatabase, withClient, type TestDatabase } from '../../helpers/pg.js';
import { runCli, withPassword } from './cli-process.js';

// `synqx run <file>`: pipeline files with inline connections, run by a separate process.

const PASSWORD = 'Run-S3cret-pw';
let src: TestDatabase;
let dst: TestDatabase;
let dir: string;

test.before(async () => {
  src = await createTestDatabase('synqx_run_src');
  dst = await createTestDatabase('synqx_run_dst');
  dir = await mkdtemp(join(tmpdir(), 'synqx-run-'));
  await withClient(src.url, async (c) => {
    await c.query('CREATE TABLE public.users (id int PRIMARY KEY, name text, age int)');
    await c.query(`INSERT INTO public.users SELECT i, 'user ' || i, CASE WHEN i % 10 = 0 THEN NULL ELSE i % 80 END FROM generate_series(1, 5000) AS i`);
    await c.query('ANALYZE public.users');
    await c.query(`CREATE TABLE public.orders (id int PRIMARY KEY, email text, qty int);
                   INSERT INTO public.orders SELECT g, CASE WHEN g IN (3, 7) THEN NULL ELSE 'u' || g || '@x.io' END, CASE WHEN g = 5 THEN -2 ELSE g % 100 END
                   FROM generate_series(1, 3000) g`);
  });
});

test.after.always(async () => {
  await src?.drop();
  await dst?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const rowsOf = (url: string, sql: string) => withClient(url, async (c) => (await c.query<{ t: string }>(`SELECT t::text AS t FROM (${sql}) AS t ORDER BY id`)).rows.map((r) => r.t));
const fields = (db: TestDatabase) => {
  const u = new URL(db.url);
  return { host: u.hostname, port: Number(u.port || 5432), database: db.name, username: decodeURIComponent(u.username) };
};

test('a JSON file: DSN with an ${ENV} password, filter transform, implicit chain; counts in the summary', async (t) => {
  const file = join(dir, 'adults.json');
  const dsn = withPassword(src.url, 'PLACEHOLDER').replace('PLACEHOLDER', '${SRC_PW}');
  await writeFile(
    file,
    JSON.stringify({
      name: 'adults',
      connections: { src: { dsn }, dst: { ...fields(dst), password: '${DST_PW}' } },
      nodes: [
        { id: 'users', type: 'extract', connection: 'src', table: 'public.users' },
        { id: 'adults', type: 'transform', transform: 'filter', config: { condition: 'age >= 18' } },
        { id: 'out', type: 'load', connection: 'dst', table: 'public.adults', options: { write_mode: 'replace' } },
      ],
    }),
  );
  // A password with URL-special characters still works inside the DSN (percent-encoded on expansion).
  const out = await runCli(['run', file], { SRC_PW: `${PASSWORD}@/:`, DST_PW: PASSWORD });
  t.is(out.code, 0, out.stderr);
  const expected = await rowsOf(src.url, 'SELECT * FROM public.users WHERE age >= 18');
  const filtered = 5000 - expected.length;
  t.is(out.stdout, `ran adults in ${/in ([\d.]+ s)/.exec(out.stdout)![1]}: 5,000 rows read, ${expected.length.toLocaleString('en-US')} written to public.adults, ${filtered.toLocaleString('en-US')} filtered\n`);
  t.deepEqual(await rowsOf(dst.url, 'SELECT * FROM public.adults'), expected);
  t.false(out.stdout.includes(PASSWORD) || out.stderr.includes(PASSWORD));
});

test('a YAML file: explicit edges, fan-out to two destinations on the worker pool', async (t) => {
  const file = join(dir, 'fanout.yaml');
  const f = fields(dst);
  await writeFile(
    file,
    `# two copies of users: everyone, and the minors without their names
name: fanout
connections:
  src:
    dsn: \${SRC_URL}
  dst:
    host: ${f.host}
    port: ${f.port}
    database: ${f.database}
    username: ${f.username}
nodes:
  - id: users
    type: extract
    connection: src
    table: public.users
    options: { batch_rows: 1000 }
  - id: minors
    type: transform
    transform: pandas_transform
    config:
      drop_columns: [name]
      filter_query: "age < 18"
  - id: everyone
    type: load
    connection: dst
    table: public.everyone
  - id: minors_out
    type: load
    connection: dst
    table: public.minors
    options:
      write_mode: upsert
      upsert_keys: [id]
edges:
  - { from: users, to: everyone }
  - [users, minors]
  - [minors, minors_out]
settings:
  threads: 2
`,
  );
  const out = await runCli(['run', file], { SRC_URL: src.url });
  t.is(out.code, 0, out.stderr);
  t.regex(out.stdout, /^ran fanout in [\d.]+ s: 5,000 rows read, [\d,]+ written \(public\.everyone 5,000; public\.minors [\d,]+\), [\d,]+ filtered\n$/);
  t.deepEqual(await rowsOf(dst.url, 'SELECT * FROM public.everyone'), await rowsOf(src.url, 'SELECT * FROM public.users'));
  t.deepEqual(await rowsOf(dst.url, 'SELECT * FROM public.minors'), await rowsOf(src.url, 'SELECT id, age FROM public.users WHERE age < 18'));
});

test('an invalid file exits 2 listing every problem with its place in the file, without connecting', async (t) => {
  const file = join(dir, 'broken.yaml');
  await writeFile(
    file,
    `connections:
  src: { dsn: "postgresql://root:\${NOT_SET_ANYWHERE}@127.0.0.1/x" }
  dst: { host: 127.0.0.1, database: x }
nodes:
  - { id: a, type: extract, connection: src, table: public.users }
  - { id: b, type: transform, transform: nope }
  - { id: c, type: load, connection: dst, table: public.x, options: { write_mode: upsert } }
`,
  );
  const out = await runCli(['run', file]);
  t.is(out.code, 2);
  t.is(out.stderr, 'synqx: connections.src.dsn: environment variable NOT_SET_ANYWHERE is not set\n');

  const out2 = await runCli(['run', file], { NOT_SET_ANYWHERE: PASSWORD });
  t.is(out2.code, 2);
  t.regex(out2.stderr, /^synqx: 3 problems:\n/);
  t.regex(out2.stderr, /\n {2}connections\.dst\.username: required/);
  t.regex(out2.stderr, /\n {2}nodes\.1\.transform: unknown transform "nope"/);
  t.regex(out2.stderr, /\n {2}nodes\.2\.options\.upsert_keys: required when write_mode is upsert/);
  t.false(out2.stderr.includes(PASSWORD));

  const yamlError = join(dir, 'bad-syntax.yml');
  await writeFile(yamlError, 'nodes: [\n  - {');
  const out3 = await runCli(['run', yamlError]);
  t.is(out3.code, 2);
  t.regex(out3.stderr, /^synqx: .*bad-syntax\.yml is not valid YAML \(line \d+, column \d+\)/);
});

test('--check validates and prints the plan in execution order', async (t) => {
  const file = join(dir, 'check.json');
  await writeFile(
    file,
    JSON.stringify({
      connections: { pg: { dsn: src.url } },
      nodes: [
        { id: 'load', type: 'load', connection: 'pg', table: 'public.copy' },
        { id: 'read', type: 'extract', connection: 'pg', query: 'SELECT id FROM public.users' },
      ],
      edges: [['read', 'load']],
    }),
  );
  const out = await runCli(['run', file, '--check']);
  t.is(out.code, 0, out.stderr);
  t.is(out.stdout, `${file}: ok: read (source query read) → load (sink public.copy)\n`);
});

test('on_error quarantine: good rows to the destination, failing ones to the quarantine table; a failed run leaves that table as it was', async (t) => {
  const file = (name: string, table: string, writeMode: string) => {
    const f = fields(dst);
    return `name: ${name}
connections:
  src: { dsn: "\${SRC_URL}" }
  dst: { host: ${f.host}, port: ${f.port}, database: ${f.database}, username: ${f.username} }
nodes:
  - { id: orders, type: extract, connection: src, table: public.orders }
  - id: check
    type: transform
    transform: validate
    config:
      rules: [{ column: email, rule: not_null }, { column: qty, rule: min, value: 0 }]
      on_error: quarantine
    quarantine: { connection: dst, table: public.orders_bad }
  - { id: out, type: load, connection: dst, table: ${table}, options: { write_mode: ${writeMode} } }
`;
  };
  const good = join(dir, 'quarantine.yaml');
  await writeFile(good, file('orders', 'public.orders_clean', 'replace'));
  const check = await runCli(['run', good, '--check'], { SRC_URL: src.url });
  t.is(check.stdout, `${good}: ok: orders (source public.orders) → check (validate, quarantine public.orders_bad) → out (sink public.orders_clean)\n`, check.stderr);

  const out = await runCli(['run', good], { SRC_URL: src.url });
  t.is(out.code, 0, out.stderr);
  t.regex(out.stdout, /^ran orders in [\d.]+ s: 3,000 rows read, 2,997 written to public\.orders_clean, 3 quarantined to public\.orders_bad\n$/);
  t.deepEqual(await rowsOf(dst.url, 'SELECT * FROM public.orders_clean'), await rowsOf(src.url, 'SELECT * FROM public.orders WHERE id NOT IN (3, 5, 7)'));
  const quarantined = await rowsOf(dst.url, 'SELECT * FROM public.orders_bad');
  t.deepEqual(quarantined, [
    '(3,,3,"validate rule not_null failed on column email: value is NULL")',
    '(5,u5@x.io,-2,"validate rule min failed on column qty: value -2 is less than 0")',
    '(7,,7,"validate rule not_null failed on column email: value is NULL")',
  ]);
  const errorColumn = await withClient(dst.url, async (c) =>
    (await c.query("SELECT data_type, is_nullable FROM information_schema.columns WHERE table_name = 'orders_bad' AND column_name = '_synqx_error'")).rows,
  );
  t.deepEqual(errorColumn, [{ data_type: 'text', is_nullable: 'NO' }]);

  // The table is a log: run again, and the rows still failing are quarantined again (the table did
  // not inherit the source's primary key, which would fail this run on a duplicate key).
  const again = await runCli(['run', good], { SRC_URL: src.url });
  t.is(again.code, 0, again.stderr);
  t.regex(again.stdout, /, 3 quarantined to public\.orders_bad\n$/);
  const twice = [...quarantined, ...quarantined].sort();
  t.deepEqual(await rowsOf(dst.url, 'SELECT * FROM public.orders_bad'), twice);

  // The same pipeline into a table whose primary key the load collides with: the run fails after the
  // quarantine step got its rows, and both tables keep exactly what they had.
  await withClient(dst.url, (c) => c.query("CREATE TABLE public.orders_strict (id int PRIMARY KEY, email text, qty int); INSERT INTO public.orders_strict VALUES (2999, 'already@there', 1)"));
  const failing = join(dir, 'quarantine-fails.yaml');
  await writeFile(failing, file('orders-strict', 'public.orders_strict', 'append'));
  const failed = await runCli(['run', failing], { SRC_URL: src.url });
  t.is(failed.code, 1, failed.stdout);
  t.regex(failed.stderr, /^synqx: failed in step out: .*duplicate key value violates unique constraint "orders_strict_pkey" \[DATA_ERROR\]; nothing was written \(rolled back\)\n/);
  t.deepEqual(await rowsOf(dst.url, 'SELECT * FROM public.orders_bad'), twice);
  t.deepEqual(await rowsOf(dst.url, 'SELECT * FROM public.orders_strict'), ["(2999,already@there,1)"]);
});
