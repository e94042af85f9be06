import { SynqxError, validationProblems, type FieldProblem } from '../../core/errors.js';
import { aggregateConfigSchema, createAggregate } from './aggregate.js';
import { batchTransform, streamTransform } from './define-transform.js';
import { createDeduplicate, deduplicateConfigSchema } from './deduplicate.js';
import { buildDerive, deriveConfigSchema } from './derive.js';
import { buildDropColumns, dropColumnsConfigSchema } from './drop-columns.js';
import { buildFillNulls, fillNullsConfigSchema, fillNullsStream } from './fill-nulls.js';
import { buildFilter, filterConfigSchema } from './filter.js';
import { buildMap, mapConfigSchema } from './map.js';
import { buildNoop, noopConfigSchema } from './noop.js';
import { buildPandasTransform, pandasTransformConfigSchema } from './pandas-transform.js';
import { buildPiiMask, piiMaskConfigSchema } from './pii-mask.js';
import { buildRegexReplace, regexReplaceConfigSchema } from './regex-replace.js';
import { buildRenameColumns, renameColumnsConfigSchema } from './rename-columns.js';
import { buildSelect, selectConfigSchema } from './select.js';
import { createSort, sortConfigSchema } from './sort.js';
import type { StreamOperator, StreamTransformDefinition } from './stream-operator.js';
import type { TransformContext, TransformDefinition, TransformFn } from './transform.js';
import { createUnion, unionConfigSchema } from './union.js';
import { joinDefinition } from './join.js';
import { mergeDefinition } from './merge.js';
import { buildTypeCast, typeCastConfigSchema } from './type-cast.js';
import { buildValidate, validateConfigSchema } from './validate.js';

// The one list of transforms. Each entry's config schema is strict: a typo in a key is an error at
// validation time, never a silently ignored option. Batch entries' `build` validates a raw config once
// and returns the live function (the worker threads build from this same list); stream entries
// (stateful or fan-in) are created once per run in their node's actor.

const pandasTransform = batchTransform(
  {
    name: 'pandas_transform',
    description: 'The original SynqX transform: drop_columns, then rename_columns, then filter_query',
    operatorTypes: ['transform'],
    inputs: 'one',
    configSchema: pandasTransformConfigSchema,
  },
  buildPandasTransform,
);

const filter = batchTransform(
  {
    name: 'filter',
    description: 'Keeps the rows for which `condition` is true (SQL-like three-valued logic: NULL drops the row)',
    operatorTypes: ['transform'],
    inputs: 'one',
    configSchema: filterConfigSchema,
  },
  buildFilter,
);

const map = batchTransform(
  {
    metadataOnly: true,
    name: 'map',
    description: 'Renames (`rename`: {old: new}) and drops (`drop`: [names]) columns',
    operatorTypes: ['transform'],
    inputs: 'one',
    configSchema: mapConfigSchema,
  },
  buildMap,
);

const noop = batchTransform(
  {
    metadataOnly: true,
    name: 'noop',
    description: 'Passes batches through unchanged',
    operatorTypes: ['noop', 'transform'],
    inputs: 'one',
    configSchema: noopConfigSchema,
  },
  buildNoop,
);

const select = batchTransform(
  {
    metadataOnly: true,
    name: 'select',
    description: 'Keeps only `columns`, in the order given; a column missing from the input is a data error',
    operatorTypes: ['transform'],
    inputs: 'one',
    configSchema: selectConfigSchema,
  },
  buildSelect,
);

const dropColumnsT = batchTransform(
  {
    metadataOnly: true,
    name: 'drop_columns',
    description: 'Drops `columns`; a column missing from the input is a data error',
    operatorTypes: ['transform'],
    inputs: 'one',
    configSchema: dropColumnsConfigSchema,
  },
  buildDropColumns,
);

const renameColumnsT = batchTransform(
  {
    metadataOnly: true,
    name: 'rename_columns',
    description: 'Renames columns (`mapping`: {old: new}); a missing old name is a data error',
    operatorTypes: ['transform'],
    inputs: 'one',
    configSchema: renameColumnsConfigSchema,
  },
  buildRenameColumns,
);

const derive = batchTransform(
  {
    name: 'derive',
    description: 'Adds or replaces columns (`columns`: {name: expression}); every expression sees the input columns',
    operatorTypes: ['transform'],
    inputs: 'one',
    configSchema: deriveConfigSchema,
  },
  buildDerive,
);

const fillNulls = batchTransform(
  {
    name: 'fill_nulls',
    description:
      "Replaces NULLs per column (`values`: {column: literal}; the literal must fit the column's type), or from the column itself (`strategy`: forward, backward, mean, median, mode)",
    operatorTypes: ['transform'],
    inputs: 'one',
    configSchema: fillNullsConfigSchema,
    // A literal fill is a pure batch function on the pool; a computed strategy keeps state in the node's actor.
    stateful: fillNullsStream,
  },
  buildFillNulls,
);

const regexReplace = batchTransform(
  {
    name: 'regex_replace',
    description: 'Rewrites a text `column`: matches of `pattern` (with `flags`, default g) become `replacement`',
    operatorTypes: ['transform'],
    inputs: 'one',
    configSchema: regexReplaceConfigSchema,
  },
  buildRegexReplace,
);

const piiMask = batchTransform(
  {
    name: 'pii_mask',
    description: 'Masks columns as text (`masks`: [{column, strategy: redact|hash|partial}]); hash = SHA-256 of salt + value (`salt`, else a per-pipeline secret the runner derives)',
    operatorTypes: ['transform'],
    inputs: 'one',
    configSchema: piiMaskConfigSchema,
  },
  buildPiiMask,
);

const deduplicate = streamTransform(
  {
    name: 'deduplicate',
    description: 'Keeps one row per distinct `keys` over the whole run (`keep`: first, streamed, or last, at the end); NULLs equal',
    operatorTypes: ['transform'],
    inputs: 'one',
    configSchema: deduplicateConfigSchema,
  },
  createDeduplicate,
);

const aggregate = streamTransform(
  {
    name: 'aggregate',
    description: 'GROUP BY `group_by` with count/sum/min/max/avg (SQL NULL semantics); one row per group, emitted at the end',
    operatorTypes: ['transform'],
    inputs: 'one',
    configSchema: aggregateConfigSchema,
  },
  createAggregate,
);

const sort = streamTransform(
  {
    name: 'sort',
    description: 'Sorts all rows by `by` (stable; NULLs last for asc, first for desc, like Postgres), emitted at the end',
    operatorTypes: ['transform'],
    inputs: 'one',
    configSchema: sortConfigSchema,
  },
  createSort,
);

const union = streamTransform(
  {
    name: 'union',
    description: 'UNION ALL of two or more inputs, columns matched by name (missing ones are NULL); `mode`: sequential or interleaved',
    operatorTypes: ['union', 'transform'],
    inputs: 'many',
    arity: { min: 2 },
    readsSequentially: (config) => (config as { mode?: string }).mode !== 'interleaved',
    configSchema: unionConfigSchema,
  },
  createUnion,
);

// Row-rejecting transforms: failing rows fail the step (on_error 'fail') or go to quarantine_asset_id.
const typeCast = batchTransform(
  {
    name: 'type_cast',
    description: 'Casts columns to Postgres types (`columns`: {name: type}); values that do not convert fail the step or are quarantined (`on_error`)',
    operatorTypes: ['transform'],
    inputs: 'one',
    configSchema: typeCastConfigSchema,
  },
  buildTypeCast,
);

const validate = batchTransform(
  {
    name: 'validate',
    description: 'Checks rows against `rules` (not_null, unique_in_batch, min, max, regex, in_list, expression); failing rows fail the step or are quarantined (`on_error`)',
    operatorTypes: ['validate', 'transform'],
    inputs: 'one',
    configSchema: validateConfigSchema,
  },
  buildValidate,
);

export const TRANSFORMS: readonly TransformDefinition[] = [
  pandasTransform,
  filter,
  map,
  noop,
  select,
  dropColumnsT,
  renameColumnsT,
  derive,
  fillNulls,
  regexReplace,
  piiMask,
  deduplicate,
  aggregate,
  sort,
  union,
  joinDefinition,
  mergeDefinition,
  typeCast,
  validate,
];

const byName = new Map<string, TransformDefinition>(TRANSFORMS.map((t) => [t.name, t]));
let plugins: readonly TransformDefinition[] = [];

/**
 * Adds the plugin transforms (src/engine/transforms/plugins.ts loads them) to the registry, once per
 * process or worker thread, before any pipeline is validated. A name that a built-in or another
 * plugin already uses is refused with nothing registered; registering the same definitions again is a no-op.
 */
export function registerPlugins(defs: readonly TransformDefinition[]): void {
  if (defs.length === plugins.length && defs.every((d, i) => d === plugins[i])) return;
  if (plugins.length > 0) throw new SynqxError('INTERNAL', 'plugin transforms are already registered in this process');
  const seen = new Map<string, TransformDefinition>();
  for (const d of defs) {
    const builtin = byName.get(d.name);
    if (builtin) throw new SynqxError('CONFIG_INVALID', `plugin ${originOf(d)}: name "${d.name}" is a built-in transform; export another \`name\``);
    const other = seen.get(d.name);
    if (other) throw new SynqxError('CONFIG_INVALID', `plugins ${originOf(other)} and ${originOf(d)} both define the transform "${d.name}"`);
    seen.set(d.name, d);
  }
  for (const d of defs) byName.set(d.name, d);
  plugins = [...defs];
}

function originOf(d: TransformDefinition): string {
  return (d.kind === 'batch' && d.plugin?.file) || d.name;
}

/** The built-ins (TRANSFORMS) followed by the registered plugins: what a node's operator_class may name. */
export function allTransforms(): readonly TransformDefinition[] {
  return plugins.length === 0 ? TRANSFORMS : [...TRANSFORMS, ...plugins];
}

export function findTransform(name: string): TransformDefinition | undefined {
  return byName.get(name);
}

function lookUp(name: string): TransformDefinition {
  const def = byName.get(name);
  if (def) return def;
  const known = allTransforms().map((t) => t.name).join(', ');
  throw SynqxError.validation(
    [{ field: 'operator_class', message: `unknown transform "${name}" (known: ${known})`, error_type: 'unknown_transform' }],
    `unknown transform "${name}"`,
  );
}

/**
 * Whether a node running `name` with `config` runs in its actor (a stream transform, or a batch
 * transform whose config needs state: fill_nulls with a strategy) rather than on the pool. A config
 * that does not validate answers false: the pool's prepare then reports its problems.
 */
export function isStreamTransform(name: string, config: unknown): boolean {
  const def = byName.get(name);
  if (def?.kind === 'stream') return true;
  if (def?.kind !== 'batch' || !def.stateful) return false;
  try {
    return def.stateful(config) !== undefined;
  } catch (err) {
    if (err instanceof SynqxError && err.code === 'VALIDATION_FAILED') return false;
    throw err;
  }
}

/** The live function of a batch transform: unknown names and bad configs throw VALIDATION_FAILED. */
export function buildTransform(name: string, config: unknown): TransformFn {
  const def = lookUp(name);
  if (def.kind !== 'batch') throw new SynqxError('INTERNAL', `transform ${name} is a stream transform: it runs in its node's actor, not on the pool`);
  if (def.stateful?.(config)) throw new SynqxError('INTERNAL', `transform ${name} keeps state across batches with this config: it runs in its node's actor, not on the pool`);
  return def.build(config);
}

/**
 * The stream definition a node running `name` with `config` is created from, for its actor: the
 * transform's own, or for a batch transform whose config needs state, one made from its `stateful`
 * (same spec; validate and create parse the whole config). Unknown names, and batch transforms whose
 * config is a pure batch function, throw.
 */
export function findStreamTransform(name: string, config: unknown): StreamTransformDefinition {
  const def = lookUp(name);
  if (def.kind === 'stream') return def;
  const { stateful } = def;
  if (!stateful || !stateful(config)) throw new SynqxError('INTERNAL', `transform ${name} is a batch transform${stateful ? ' with this config' : ''}, not a stream one`);
  const { build: _build, metadataOnly: _metadataOnly, stateful: _stateful, kind: _kind, ...spec } = def;
  return {
    ...spec,
    kind: 'stream',
    validate: (raw: unknown): void => void def.build(raw),
    create: (raw: unknown, ctx: TransformContext): StreamOperator => {
      const factory = stateful(raw);
      if (!factory) throw new SynqxError('INTERNAL', `transform ${name}: this config runs on the pool, not in an actor`);
      return factory(ctx);
    },
  };
}

/** Every problem with a node's config, expressions included (with positions), for API validation. */
export function validateTransformConfig(name: string, config: unknown): FieldProblem[] {
  try {
    const def = lookUp(name);
    if (def.kind === 'stream') def.validate(config);
    else def.build(config);
    return [];
  } catch (err) {
    const problems = validationProblems(err);
    if (problems) return problems;
    throw err;
  }
}
