import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { SYNQX_VERSION } from '../../../src/core/version.js';
import { createTestDatabase, withClient, type TestDatabase } from '../../helpers/pg.js';
import { BUILT_ENTRY, runCli } from './cli-process.js';

// What users run: `npm run build` output started by bin/synqx.js. `copy` and `run` start from the
// one-shot bundle (dist/bundle/), with its own bundled transform worker; with PLUGIN_DIR the launcher
// falls back to the separate modules in dist/src. The other CLI tests run the TypeScript sources.

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const GOOD_PLUGINS = fileURLToPath(new URL('../../fixtures/plugins/good', import.meta.url));
let src: TestDatabase;
let dst: TestDatabase;
let dir: string;

test.before(async () => {
  // Built here, so the test checks the sources as they are, not a dist/ left from an earlier build.
  execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'pipe' });
  src = await createTestDatabase('synqx_built_src');
  dst = await createTestDatabase('synqx_built_dst');
  dir = await mkdtemp(join(tmpdir(), 'synqx-built-'));
  await withClient(src.url, async (c) => {
    await c.query('CREATE TABLE public.users (id int PRIMARY KEY, name text, age int, joined date, score numeric(8,2))');
    await c.query(`INSERT INTO public.users SELECT i, CASE WHEN i % 7 = 0 THEN NULL ELSE 'user ' || i END, CASE WHEN i % 10 = 0 THEN NULL ELSE i % 80 END,
                   date '2020-01-01' + i, (i * 1.25)::numeric(8,2) FROM generate_series(1, 20000) AS i`);
  });
});

test.after.always(async () => {
  await src?.drop();
  await dst?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const rowsOf = (url: string, sql: string) => withClient(url, async (c) => (await c.query<{ t: string }>(`SELECT t::text AS t FROM (${sql}) AS t ORDER BY id`)).rows.map((r) => r.t));

test.serial('the bundle is an entry of its own: --version and the one-shot commands, nothing else', async (t) => {
  const out = await runCli(['--version'], {}, ['dist/bundle/one-shot-cli.js']);
  t.is(out.stdout.trim(), SYNQX_VERSION);
  const help = await runCli(['--help'], {}, ['dist/bundle/one-shot-cli.js']);
  t.regex(help.stdout, /copy \[options\]/);
  t.regex(help.stdout, /run \[options\] <file>/);
  t.notRegex(help.stdout, /\bstart\b/);
});

test.serial('bin/synqx.js copy moves every row and value', async (t) => {
  const out = await runCli(['copy', '--from', src.url, '--table', 'public.users', '--to', dst.url, '--target', 'public.users_copy', '--quiet'], {}, BUILT_ENTRY);
  t.is(out.code, 0, out.stderr);
  t.regex(out.stdout, /copied 20,000 rows/);
  t.deepEqual(await rowsOf(dst.url, 'SELECT * FROM public.users_copy'), await rowsOf(src.url, 'SELECT * FROM public.users'));
});

/** A pipeline file: public.users → `transforms` (on one worker thread) → `table`; returns its path. */
async function pipelineFile(name: string, transforms: object[], table: string): Promise<string> {
  const file = join(dir, `${name}.json`);
  const nodes = [
    { id: 'users', type: 'extract', connection: 'src', table: 'public.users', options: { batch_rows: 1000 } },
    ...transforms,
    { id: 'out', type: 'load', connection: 'dst', table },
  ];
  await writeFile(file, JSON.stringify({ name, connections: { src: { dsn: src.url }, dst: { dsn: dst.url } }, nodes, settings: { threads: 1 } }));
  return file;
}

test.serial('bin/synqx.js run: filter and derive on the bundled worker thread give what SQL gives', async (t) => {
  const file = await pipelineFile(
    'adults',
    [
      { id: 'adults', type: 'transform', transform: 'filter', config: { condition: 'age >= 18' } },
      { id: 'doubled', type: 'transform', transform: 'derive', config: { columns: { age2: 'age * 2' } } },
    ],
    'public.adults',
  );
  const out = await runCli(['run', file, '--quiet'], {}, BUILT_ENTRY);
  t.is(out.code, 0, out.stderr);
  t.deepEqual(
    await rowsOf(dst.url, 'SELECT * FROM public.adults'),
    await rowsOf(src.url, 'SELECT *, age * 2 AS age2 FROM public.users WHERE age >= 18'),
  );
});

test.serial('with PLUGIN_DIR, bin/synqx.js run uses the separate modules, and the plugin runs on worker threads', async (t) => {
  const file = await pipelineFile('upper', [{ id: 'shout', type: 'transform', transform: 'upper_case', config: { column: 'name' } }], 'public.upper');
  const out = await runCli(['run', file, '--quiet'], { PLUGIN_DIR: GOOD_PLUGINS }, BUILT_ENTRY);
  t.is(out.code, 0, out.stderr);
  t.deepEqual(await rowsOf(dst.url, 'SELECT * FROM public.upper'), await rowsOf(src.url, 'SELECT id, upper(name) AS name, age, joined, score FROM public.users'));
});
