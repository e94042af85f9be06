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
