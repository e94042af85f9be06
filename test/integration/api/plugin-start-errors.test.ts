import test from 'ava';
import { fileURLToPath } from 'node:url';
import { startApiServer } from '../../../src/bin/server.js';
import { SynqxError } from '../../../src/core/errors.js';
import { loadConfig } from '../../../src/platform/config.js';
import { createLogger } from '../../../src/platform/logger.js';
import { runCli } from '../cli/cli-process.js';

// A plugin directory that cannot be loaded refuses the start of every process kind, naming the file.

const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/plugins/${name}`, import.meta.url));
const BAD_CLASH = fixture('bad-clash');

test.serial('a bad plugin directory refuses to start the API server, naming the file, before anything is opened', async (t) => {
  const config = loadConfig({ ENVIRONMENT: 'test', PLUGIN_DIR: BAD_CLASH, SYNQX_HOME: '/nonexistent/never-created' });
  const err = (await t.throwsAsync(startApiServer(config, createLogger({ level: 'silent', json: true })))) as SynqxError;
  t.is(err.code, 'CONFIG_INVALID');
  t.regex(err.message, /bad-clash\/filter\.mjs: name "filter" is a built-in transform/);
});

test.serial('`synqx start` with a bad PLUGIN_DIR exits 78 with one clear line', async (t) => {
  const out = await runCli(['start'], { PLUGIN_DIR: BAD_CLASH, PORT: '0', SYNQX_HOME: '/nonexistent/never-created', DATABASE_URL: '', REDIS_URL: '' });
  t.is(out.code, 78, out.stderr);
  t.regex(out.stderr, /^synqx: plugin .*bad-clash\/filter\.mjs: name "filter" is a built-in transform; export another `name`\n$/);
});

test.serial('`synqx worker` with a plugin that fails to import exits 78 naming the file', async (t) => {
  const out = await runCli(['worker'], { PLUGIN_DIR: fixture('bad-import'), REDIS_URL: 'redis://127.0.0.1:6379', DATABASE_URL: 'postgresql://root@127.0.0.1:1/never' });
  t.is(out.code, 78, out.stderr);
  t.regex(out.stderr, /plugin .*bad-import\/broken\.mjs could not be imported: .*synqx-no-such-package/);
});

test.serial('`synqx run` loads PLUGIN_DIR before validating the file: a plugin transform is known with it, unknown without', async (t) => {
  const { mkdtemp, rm, writeFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = await mkdtemp(join(tmpdir(), 'synqx-plug-run-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'p.json');
  await writeFile(
    file,
    JSON.stringify({
      name: 'upper',
      connections: { db: { dsn: 'postgresql://root@127.0.0.1:5432/postgres' } },
      nodes: [
        { id: 'read', type: 'extract', connection: 'db', table: 'public.people' },
        { id: 'up', type: 'transform', transform: 'upper_case', config: { column: 'name' } },
        { id: 'out', type: 'load', connection: 'db', table: 'public.people_upper' },
      ],
    }),
  );
  const withPlugins = await runCli(['run', '--check', file], { PLUGIN_DIR: fixture('good') });
  t.is(withPlugins.code, 0, withPlugins.stderr);
  t.regex(withPlugins.stdout, /up \(upper_case\)/);
  const without = await runCli(['run', '--check', file], { PLUGIN_DIR: '' });
  t.not(without.code, 0);
  t.regex(without.stderr, /unknown transform "upper_case"/);
});
