import test from 'ava';
import { createTestDatabase, withClient, type TestDatabase } from '../../helpers/pg.js';
import { runCli, startCli, withPassword, type CliOutcome } from './cli-process.js';

// `synqx copy` as a user runs it: a separate process against two real databases.

const PASSWORD = 'Cli-S3cret-pw';
let src: TestDatabase;
let dst: TestDatabase;
let from: string;
let to: string;

const ITEMS_DDL = `CREATE TABLE public.items (
  id int PRIMARY KEY, name text, price numeric(12,2), seen timestamptz, tags text[], attrs jsonb, active boolean)`;

test.before(async () => {
  src = await createTestDatabase('synqx_cli_src');
  dst = await createTestDatabase('synqx_cli_dst');
  from = withPassword(src.url, PASSWORD);
  to = withPassword(dst.url, PASSWORD);
  await withClient(src.url, async (c) => {
    await c.query(ITEMS_DDL);
    await c.query(`INSERT INTO public.items
      SELECT i, CASE WHEN i % 7 = 0 THEN NULL ELSE 'item ' || i || E'\\t"q"\\n' END, (i * 1.25)::numeric(12,2),
             timestamptz '2024-01-01 00:00:00+00' + i * interval '1 minute', ARRAY['a', NULL, 'c' || i],
             jsonb_build_object('i', i), i % 2 = 0
      FROM generate_series(1, 1000) AS i`);
    await c.query('ANALYZE public.items');
  });
});

test.after.always(async () => {
  await src?.drop();
  await dst?.drop();
});

const rowsOf = (url: string, table: string, where = 'true') =>
  withClient(url, async (c) => (await c.query<{ t: string }>(`SELECT t::text AS t FROM ${table} AS t WHERE ${where} ORDER BY id`)).rows.map((r) => r.t));

function assertNoSecret(t: { false(v: boolean, m?: string): void }, out: CliOutcome): void {
  t.false(out.stdout.includes(PASSWORD) || out.stderr.includes(PASSWORD), 'the password was printed');
}

const SUMMARY = /^copied ([\d,]+) rows from (\S+) to (\S+) in [\d.]+ s \([\d,]+ rows\/s\)\n$/;

test('append: creates the missing destination, copies every row exactly, appends on a second run', async (t) => {
  const args = ['copy', '--from', from, '--table', 'public.items', '--to', to, '--target', 'public.items_append'];
  const out = await runCli(args);
  t.is(out.code, 0, out.stderr);
  t.regex(out.stdout, SUMMARY);
  t.deepEqual(SUMMARY.exec(out.stdout)!.slice(1), ['1,000', 'public.items', 'public.items_append']);
  t.deepEqual(await rowsOf(dst.url, 'public.items_append'), await rowsOf(src.url, 'public.items'));
  assertNoSecret(t, out);

  const again = await runCli([...args, '--mode', 'append']);
  t.is(again.code, 1, 'a second append collides with the primary key');
  t.regex(again.stderr, /^synqx: failed in step load: .*duplicate key.* \[DATA_ERROR\]; nothing was written \(rolled back\)\n {2}detail: Key \(id\)=\(1\) already exists\.\n$/);
  t.is((await rowsOf(dst.url, 'public.items_append')).length, 1000);
});

test('truncate: the destination ends up holding exactly the source rows', async (t) => {
  await withClient(dst.url, async (c) => {
    await c.query(ITEMS_DDL.replace('public.items', 'public.items_trunc'));
    await c.query(`INSERT INTO public.items_trunc (id, name) VALUES (1, 'old'), (5000, 'gone')`);
  });
  const out = await runCli(['copy', '--from', from, '--table', 'public.items', '--to', to, '--target', 'public.items_trunc', '--mode', 'truncate']);
  t.is(out.code, 0, out.stderr);
  t.deepEqual(await rowsOf(dst.url, 'public.items_trunc'), await rowsOf(src.url, 'public.items'));
});

test('replace: rows swapped, the table itself (its extra index, its grants) kept', async (t) => {
  await withClient(dst.url, async (c) => {
    await c.query(ITEMS_DDL.replace('public.items', 'public.items_repl'));
    await c.query('CREATE INDEX items_repl_name ON public.items_repl (name)');
    await c.query(`INSERT INTO public.items_repl (id, name) VALUES (9999, 'old')`);
  });
  const out = await runCli(['copy', '--from', from, '--table', 'public.items', '--to', to, '--target', 'public.items_repl', '--mode', 'replace']);
  t.is(out.code, 0, out.stderr);
  t.deepEqual(await rowsOf(dst.url, 'public.items_repl'), await rowsOf(src.url, 'public.items'));
  const idx = await withClient(dst.url, (c) => c.query(`SELECT 1 FROM pg_indexes WHERE indexname = 'items_repl_name'`));
  t.is(idx.rowCount, 1);
});

test('upsert with --key: matching keys updated, other destination rows kept', async (t) => {
  await withClient(dst.url, async (c) => {
    await c.query(ITEMS_DDL.replace('public.items', 'public.items_up'));
    await c.query(`INSERT INTO public.items_up (id, name) VALUES (1, 'stale'), (2, 'stale'), (5000, 'kept')`);
  });
  const out = await runCli(['copy', '--from', from, '--table', 'public.items', '--to', to, '--target', 'public.items_up', '--mode', 'upsert', '--key', 'id']);
  t.is(out.code, 0, out.stderr);
  t.deepEqual(await rowsOf(dst.url, 'public.items_up', 'id < 5000'), await rowsOf(src.url, 'public.items'));
  t.deepEqual(await rowsOf(dst.url, 'public.items_up', 'id = 5000'), ['(5000,kept,,,,,)']);
  assertNoSecret(t, out);
});

test('--where copies only the matching rows; --target may name another schema', async (t) => {
  await withClient(dst.url, (c) => c.query('CREATE SCHEMA archive'));
  const out = await runCli(['copy', '--from', from, '--table', 'public.items', '--to', to, '--target', 'archive.active_items', '--where', 'active AND id <= 100']);
  t.is(out.code, 0, out.stderr);
  t.deepEqual(SUMMARY.exec(out.stdout)!.slice(1), ['50', 'public.items', 'archive.active_items']);
  t.deepEqual(await rowsOf(dst.url, 'archive.active_items'), await rowsOf(src.url, 'public.items', 'active AND id <= 100'));
});

test('a load error mid-copy exits 1 with one clear line and leaves the destination unchanged', async (t) => {
  await withClient(dst.url, async (c) => {
    await c.query(ITEMS_DDL.replace('public.items', 'public.items_chk').replace('active boolean', 'active boolean, CHECK (id < 900)'));
    await c.query(`INSERT INTO public.items_chk (id, name) VALUES (-1, 'before'), (-2, 'before')`);
  });
  const before = await rowsOf(dst.url, 'public.items_chk');
  const out = await runCli(['copy', '--from', from, '--table', 'public.items', '--to', to, '--target', 'public.items_chk', '--batch-rows', '100']);
  t.is(out.code, 1);
  t.is(out.stdout, '');
  t.regex(out.stderr, /^synqx: failed in step load: .*violates check constraint.*\[DATA_ERROR\]; nothing was written \(rolled back\)\n/);
  t.notRegex(out.stderr, /\n\s+at /, 'no stack trace');
  t.deepEqual(await rowsOf(dst.url, 'public.items_chk'), before);
  assertNoSecret(t, out);
});

test('an unreachable or missing database fails with a message that never holds the password', async (t) => {
  const missing = await runCli(['copy', '--from', withPassword(src.url.replace(/\/[^/]+$/, '/no_such_db'), PASSWORD), '--table', 'public.items', '--to', to, '--target', 'public.x']);
  t.is(missing.code, 1);
  t.regex(missing.stderr, /^synqx: failed in step extract: .*database "no_such_db" does not exist \[SOURCE_ERROR\]\n$/);
  assertNoSecret(t, missing);

  const refused = await runCli(['copy', '--from', from, '--table', 'public.items', '--to', withPassword('postgresql://root@127.0.0.1:1/x', PASSWORD), '--target', 'public.x']);
  t.is(refused.code, 1);
  t.regex(refused.stderr, /^synqx: failed in step load: .*ECONNREFUSED/);
  assertNoSecret(t, refused);
});

test('bad flags exit 2 naming the flag, before connecting', async (t) => {
  const noKey = await runCli(['copy', '--from', from, '--table', 'public.items', '--to', to, '--mode', 'upsert']);
  t.is(noKey.code, 2);
  t.is(noKey.stderr, 'synqx: --mode upsert needs --key (the conflict key columns, e.g. --key id)\n');

  const badUrl = await runCli(['copy', '--from', `mysql://root:${PASSWORD}@127.0.0.1/x`, '--table', 'public.items', '--target', 'public.y']);
  t.is(badUrl.code, 2);
  t.is(badUrl.stderr, 'synqx: --from: must be a postgres:// or postgresql:// connection URL\n');
  assertNoSecret(t, badUrl);

  const same = await runCli(['copy', '--from', from, '--table', 'public.items']);
  t.is(same.code, 2);
  t.regex(same.stderr, /same table/);
});

test('SIGINT mid-copy cancels, rolls back and exits 130', async (t) => {
  await withClient(src.url, async (c) => {
    await c.query(`CREATE TABLE public.big AS SELECT i AS id, repeat(md5(i::text), 4) AS payload FROM generate_series(1, 2000000) AS i`);
    await c.query('ANALYZE public.big');
  });
  await withClient(dst.url, async (c) => {
    await c.query('CREATE TABLE public.big (id int, payload text)');
    await c.query(`INSERT INTO public.big VALUES (0, 'before')`);
  });
  const run = startCli(['copy', '--from', from, '--table', 'public.big', '--to', to]);
  // Interrupt once rows are streaming into this destination table (other tests copy into the same database).
  const deadline = Date.now() + 30_000;
  let streaming = false;
  while (!streaming && Date.now() < deadline) {
    const r = await withClient(dst.url, (c) => c.query(`SELECT tuples_processed FROM pg_stat_progress_copy WHERE relid = 'public.big'::regclass AND tuples_processed > 0`));
    streaming = (r.rowCount ?? 0) > 0;
    if (!streaming) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  t.true(streaming, 'the copy never started streaming');
  run.child.kill('SIGINT');
  const out = await run.done;
  t.is(out.code, 130, out.stderr);
  t.regex(out.stderr, /SIGINT: cancelling, rolling back/);
  t.regex(out.stderr, /synqx: cancelled after [\d.]+ s; nothing was written \(rolled back\)\n$/);
  t.deepEqual(await rowsOf(dst.url, 'public.big'), ['(0,before)']);
  assertNoSecret(t, out);
});
