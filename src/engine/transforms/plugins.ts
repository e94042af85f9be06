import { readdir, stat } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RecordBatch } from 'apache-arrow';
import { z } from 'zod';
import { SynqxError, type FieldProblem } from '../../core/errors.js';
import { registerPlugins } from './registry.js';
import type { TransformDefinition, TransformFn } from './transform.js';

// Custom transforms from PLUGIN_DIR: trusted server code, installed by whoever runs the server (never
// through the API). Every process that validates or runs pipelines — and every transform worker
// thread, a separate isolate — calls installPlugins with the same directory, so this one loader is
// what both sides run. Any problem refuses the start, naming the file: a half-loaded plugin set
// would make pipelines valid on one process and unknown on another.

export const PLUGIN_NAME_PATTERN = /^[a-z][a-z0-9_]*$/;
const PLUGIN_EXTENSIONS = new Set(['.mjs', '.js']);

/** What a plugin module exports. */
interface PluginModule {
  transform?: unknown;
  name?: unknown;
  description?: unknown;
  validate?: unknown;
}

type PluginTransform = (batch: RecordBatch, config: Record<string, unknown>, context: { now: Date; nodeId: string }) => unknown;
type PluginValidate = (config: Record<string, unknown>) => unknown;

/** A plugin's config is any JSON object; the plugin's own `validate` says what it accepts. */
const pluginConfigSchema = z.record(z.string(), z.unknown());

let installed: { dir: string; defs: Promise<TransformDefinition[]> } | undefined;

/**
 * Loads every *.mjs / *.js file of `dir` and registers them; without a directory, nothing. Idempotent
 * for the same directory (the API server and the in-process worker of `synqx start` both call it).
 */
export async function installPlugins(dir: string | undefined): Promise<readonly TransformDefinition[]> {
  if (dir === undefined) return [];
  const abs = resolve(dir);
  if (installed) {
    if (installed.dir !== abs) throw new SynqxError('INTERNAL', `plugins are already installed from ${installed.dir}, not ${abs}`);
    return installed.defs;
  }
  const defs = loadPluginDir(abs).then((d) => {
    registerPlugins(d);
    return d;
  });
  installed = { dir: abs, defs };
  // A failed install may be retried (a test, an operator fixing the file); the process normally exits.
  defs.catch(() => {
    if (installed?.defs === defs) installed = undefined;
  });
  return defs;
}

/** The directory installed in this thread, for the worker threads to load the same. */
export function installedPluginDir(): string | undefined {
  return installed?.dir;
}

/** Imports the plugin files of `dir` in name order and turns each into a registry entry. */
export async function loadPluginDir(dir: string): Promise<TransformDefinition[]> {
  const info = await stat(dir).catch((err: NodeJS.ErrnoException) => {
    throw new SynqxError('CONFIG_INVALID', `PLUGIN_DIR ${dir} cannot be read: ${err.code === 'ENOENT' ? 'it does not exist' : err.message}`);
  });
  if (!info.isDirectory()) throw new SynqxError('CONFIG_INVALID', `PLUGIN_DIR ${dir} is not a directory`);
  const entries = await readdir(dir, { withFileTypes: true });
  const files = entries
    .filter((e) => (e.isFile() || e.isSymbolicLink()) && PLUGIN_EXTENSIONS.has(extname(e.name)))
    .map((e) => join(dir, e.name))
    .sort();
  const defs: TransformDefinition[] = [];
  for (const file of files) {
    let mod: PluginModule;
    try {
      mod = (await import(pathToFileURL(file).href)) as PluginModule;
    } catch (err) {
      throw new SynqxError('CONFIG_INVALID', `plugin ${file} could not be imported: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    defs.push(pluginDefinition(mod, file));
  }
  return defs;
}

/** Checks a plugin module's exports and wraps them as a batch transform. */
export function pluginDefinition(mod: PluginModule, file: string): TransformDefinition {
  const bad = (why: string) => new SynqxError('CONFIG_INVALID', `plugin ${file}: ${why}`);
  if (typeof mod.transform !== 'function') throw bad('it must export a function `transform(batch, config)`');
  const name = mod.name === undefined ? basename(file, extname(file)) : mod.name;
  if (typeof name !== 'string' || !PLUGIN_NAME_PATTERN.test(name)) {
    throw bad(`transform name ${JSON.stringify(name)} must match ${PLUGIN_NAME_PATTERN} (export \`name\` or rename the file)`);
  }
  if (mod.description !== undefined && typeof mod.description !== 'string') throw bad('`description` must be a string');
  if (mod.validate !== undefined && typeof mod.validate !== 'function') throw bad('`validate` must be a function returning an array of problem strings');
  const transform = mod.transform as PluginTransform;
  const validate = mod.validate as PluginValidate | undefined;
  return {
    name,
    description: (mod.description as string | undefined) ?? `plugin transform from ${basename(file)}`,
    operatorTypes: ['transform'],
    inputs: 'one',
    configSchema: pluginConfigSchema,
    kind: 'batch',
    plugin: { file },
    build(raw: unknown): TransformFn {
      const config = checkedConfig(name, raw, validate);
      return (batch, ctx) => {
        let out: unknown;
        try {
          out = transform(batch, config, { now: ctx.now, nodeId: ctx.nodeId });
        } catch (err) {
          throw new SynqxError('TRANSFORM_ERROR', `plugin ${name} threw: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
        }
        if (out === null || out === undefined) return null;
        if (!(out instanceof RecordBatch)) {
          // Also what a plugin sees when it resolves another copy of apache-arrow than the server's.
          throw new SynqxError('TRANSFORM_ERROR', `plugin ${name} returned ${describe(out)}, not an Arrow RecordBatch of the server's apache-arrow (or null)`);
        }
        return out;
      };
    },
  };
}

/** The node's config as the plugin sees it: a JSON object its `validate` accepted, frozen (one copy per build). */
function checkedConfig(name: string, raw: unknown, validate: PluginValidate | undefined): Record<string, unknown> {
  const parsed = pluginConfigSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    throw SynqxError.validation([{ field: 'config', message: 'a plugin transform config must be a JSON object', error_type: 'invalid_type' }], `invalid config for transform ${name}`);
  }
  const config = deepFreeze(structuredClone(parsed.data));
  if (!validate) return config;
  let problems: unknown;
  try {
    problems = validate(config);
  } catch (err) {
    problems = [`validate threw: ${err instanceof Error ? err.message : String(err)}`];
  }
  if (problems === undefined || (Array.isArray(problems) && problems.length === 0)) return config;
  const list: FieldProblem[] = Array.isArray(problems)
    ? problems.map((p) => ({ field: 'config', message: String(p), error_type: 'plugin_validation' }))
    : [{ field: 'config', message: `plugin ${name}: validate returned ${describe(problems)}, not an array of strings`, error_type: 'plugin_validation' }];
  throw SynqxError.validation(list, `invalid config for transform ${name}`);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v !== 'object') return typeof v;
  return v.constructor?.name ? `a ${v.constructor.name}` : 'an object';
}
