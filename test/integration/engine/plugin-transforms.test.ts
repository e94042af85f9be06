import test from 'ava';
import { fileURLToPath } from 'node:url';
import { Int32, Utf8 } from 'apache-arrow';
import { SynqxError } from '../../../src/core/errors.js';
import { TransformPool } from '../../../src/engine/runtime/transform-pool.js';
import { installPlugins, installedPluginDir, loadPluginDir } from '../../../src/engine/transforms/plugins.js';
import { TRANSFORMS, allTransforms, buildTransform, findTransform, validateTransformConfig } from '../../../src/engine/transforms/registry.js';
import { splitOutput, type TransformContext } from '../../../src/engine/transforms/transform.js';
import { col, makeBatch, rowsOf, snapshotBuffers } from '../../helpers/arrow-batches.js';

// The plugin loader against real plugin files (test/fixtures/plugins/*), and the plugin running on
// real Piscina worker threads, which must load the same directory in their own isolates.

const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/plugins/${name}`, import.meta.url));
const GOOD = fixture('good');
const ctx: TransformContext = { now: new Date('2024-01-01T00:00:00Z'), nodeId: 'p1' };

const people = (rows = 3) =>
  makeBatch({
    id: col(new Int32(), Array.from({ length: rows }, (_, i) => i + 1)),
    name: col(new Utf8(), Array.from({ length: rows }, (_, i) => (i % 3 === 1 ? null : `name ${i + 1}`))),
  });

async function startError(t: import('ava').ExecutionContext, dir: string): Promise<SynqxError> {
  const err = (await t.throwsAsync(loadAndRegister(dir))) as SynqxError;
  t.true(err instanceof SynqxError);
  t.is(err.code, 'CONFIG_INVALID');
  return err;
}

async function loadAndRegister(dir: string) {
  // installPlugins = load + register; a refused install registers nothing and may be retried.
  return installPlugins(dir);
}

test.serial('a plugin that cannot be imported refuses the start, naming the file and the reason', async (t) => {
  const err = await startError(t, fixture('bad-import'));
  t.regex(err.message, /plugin .*bad-import\/broken\.mjs could not be imported: .*synqx-no-such-package/);
});

test.serial('a plugin without a transform function refuses the start', async (t) => {
  const err = await startError(t, fixture('bad-export'));
  t.regex(err.message, /plugin .*bad-export\/no_transform\.mjs: it must export a function `transform\(batch, config\)`/);
});

test.serial('a plugin named like a built-in refuses the start, and nothing is registered', async (t) => {
  const err = await startError(t, fixture('bad-clash'));
  t.regex(err.message, /plugin .*bad-clash\/filter\.mjs: name "filter" is a built-in transform/);
  t.is(findTransform('filter')!.plugin, undefined);
  t.is(allTransforms().length, TRANSFORMS.length);
});

test.serial('a name that is not a transform name, two plugins with one name, a missing directory: refused', async (t) => {
  t.regex((await startError(t, fixture('bad-name'))).message, /Upper-Case\.mjs: transform name "Upper-Case" must match/);
  t.regex((await startError(t, fixture('bad-duplicate'))).message, /plugins .*a\.mjs and .*b\.mjs both define the transform "same_name"/);
  t.regex((await startError(t, fixture('nope'))).message, /PLUGIN_DIR .*nope cannot be read: it does not exist/);
  t.is(installedPluginDir(), undefined);
  t.is(allTransforms().length, TRANSFORMS.length);
});

test.serial('the good directory: every .mjs file is a batch transform next to the built-ins; other files are ignored', async (t) => {
  const defs = await installPlugins(GOOD);
  t.deepEqual(defs.map((d) => d.name), ['pass_or_drop', 'upper_case']);
  t.is(installedPluginDir(), GOOD);
  t.is(await installPlugins(GOOD), defs, 'installing the same directory again is a no-op');
  await t.throwsAsync(installPlugins(fixture('bad-name')), { message: /already installed/ });
  t.deepEqual(allTransforms().slice(0, TRANSFORMS.length), TRANSFORMS);
  t.deepEqual(allTransforms().slice(TRANSFORMS.length).map((d) => d.name), ['pass_or_drop', 'upper_case']);
  t.false(TRANSFORMS.some((d) => d.plugin), 'the built-in list stays the built-ins');
  const upper = findTransform('upper_case')!;
  t.like(upper, { kind: 'batch', inputs: 'one', operatorTypes: ['transform'], description: 'Upper-cases the text column `column`; NULL stays NULL' });
  t.regex(upper.plugin!.file, /good\/upper_case\.mjs$/);
  t.is(findTransform('pass_or_drop')!.description, 'plugin transform from pass-or-drop.mjs');
});

test.serial('a plugin transform: runs, never mutates its input, keeps the empty-batch schema, null drops every row', async (t) => {
  await installPlugins(GOOD);
  const input = people();
  const before = snapshotBuffers(input);
  const out = splitOutput(buildTransform('upper_case', { column: 'name' })(input, ctx)).kept;
  t.deepEqual(rowsOf(out).map((r) => r['name']), ['NAME 1', null, 'NAME 3']);
  t.is(snapshotBuffers(input), before);
  const empty = splitOutput(buildTransform('upper_case', { column: 'name' })(people().slice(0, 0), ctx)).kept!;
  t.deepEqual(empty.schema.fields.map((f) => f.name), ['id', 'name']);
  t.is(empty.numRows, 0);
  t.is(splitOutput(buildTransform('pass_or_drop', { drop: true })(people(), ctx)).kept, null);
});

test.serial("plugin configs: the plugin's validate problems are VALIDATION_FAILED on config; errors it throws name the plugin", async (t) => {
  await installPlugins(GOOD);
  t.deepEqual(validateTransformConfig('upper_case', { column: 'name' }), []);
  t.deepEqual(
    validateTransformConfig('upper_case', { colum: 'name' }).map((p) => [p.field, p.message]),
    [
      ['config', '`column` must be a non-empty string'],
      ['config', 'unknown key "colum"'],
    ],
  );
  t.is(validateTransformConfig('upper_case', [1])[0]!.message, 'a plugin transform config must be a JSON object');
  const err = t.throws(() => buildTransform('upper_case', { column: 'nope' })(people(), ctx)) as SynqxError;
  t.is(err.code, 'TRANSFORM_ERROR');
  t.is(err.message, 'plugin upper_case threw: column "nope" not found');
});

test.serial('on real worker threads: each worker loads the plugin directory itself and runs the plugin', async (t) => {
  await installPlugins(GOOD);
  const pool = new TransformPool({ mode: 'threads', threads: 2, inlineMaxRows: 0 });
  t.teardown(() => pool.close());
  const prepared = pool.prepare({ nodeId: 'up', transform: 'upper_case', config: { column: 'name' } }, ctx.now);
  const results = await Promise.all(Array.from({ length: 8 }, () => prepared.run(people(600))));
  for (const out of results) {
    const names = rowsOf(out.kept).map((r) => r['name']);
    t.is(names.length, 600);
    t.is(names[0], 'NAME 1');
    t.is(names[1], null);
  }
  const failing = pool.prepare({ nodeId: 'f', transform: 'pass_or_drop', config: { fail: true } }, ctx.now);
  const err = (await t.throwsAsync(failing.run(people(600)))) as SynqxError;
  t.is(err.code, 'TRANSFORM_ERROR');
  t.regex(err.message, /transform pass_or_drop \(node f\) failed: plugin pass_or_drop threw: asked to fail/);
  t.is((await pool.prepare({ nodeId: 'd', transform: 'pass_or_drop', config: { drop: true } }, ctx.now).run(people(600))).kept, null);
});

test('loadPluginDir reads files in name order without registering anything', async (t) => {
  const defs = await loadPluginDir(GOOD);
  t.deepEqual(defs.map((d) => d.name), ['pass_or_drop', 'upper_case']);
});
