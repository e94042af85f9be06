import type { z } from 'zod';
import { SynqxError, type FieldProblem } from '../../core/errors.js';
import { buildDerive, deriveConfigSchema } from './derive.js';
import { buildDropColumns, dropColumnsConfigSchema } from './drop-columns.js';
import { buildFillNulls, fillNullsConfigSchema } from './fill-nulls.js';
import { buildFilter, filterConfigSchema } from './filter.js';
import { buildMap, mapConfigSchema } from './map.js';
import { buildNoop, noopConfigSchema } from './noop.js';
import { buildPandasTransform, pandasTransformConfigSchema } from './pandas-transform.js';
import { buildPiiMask, piiMaskConfigSchema } from './pii-mask.js';
import { buildRegexReplace, regexReplaceConfigSchema } from './regex-replace.js';
import { buildRenameColumns, renameColumnsConfigSchema } from './rename-columns.js';
import { buildSelect, selectConfigSchema } from './select.js';
import type { TransformDefinition, TransformFn } from './transform.js';
import { buildTypeCast, typeCastConfigSchema } from './type-cast.js';
import { buildValidate, validateConfigSchema } from './validate.js';
import type { TransformSpec } from './transform-spec.js';

// The one list of transforms. Each entry's config schema is strict: a typo in a key is an error at
// validation time, never a silently ignored option. `build` validates a raw config once and returns
// the live function; the worker threads build from this same list.

function batchTransform<S extends z.ZodType>(
  spec: Omit<TransformSpec, 'configSchema'> & { configSchema: S },
  build: (config: z.infer<S>) => TransformFn,
): TransformDefinition {
  return {
    ...spec,
    kind: 'batch',
    build(raw: unknown): TransformFn {
      const parsed = spec.configSchema.safeParse(raw ?? {});
      if (!parsed.success) throw SynqxError.validation(configProblems(parsed.error), `invalid config for transform ${spec.name}`);
      return build(parsed.data);
    },
  };
}

function configProblems(error: z.ZodError): FieldProblem[] {
  return error.issues.map((issue) => ({
    field: ['config', ...issue.path.map(String)].join('.'),
    message: issue.message,
    error_type: issue.code,
  }));
}

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
    description: "Replaces NULLs per column (`values`: {column: literal}); the literal must fit the column's type",
    operatorTypes: ['transform'],
    inputs: 'one',
    configSchema: fillNullsConfigSchema,
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
    description: 'Masks columns as text (`masks`: [{column, strategy: redact|hash|partial}]); hash = SHA-256 of `salt` + value',
    operatorTypes: ['transform'],
    inputs: 'one',
    configSchema: piiMaskConfigSchema,
  },
  buildPiiMask,
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
  typeCast,
  validate,
];

const byName = new Map(TRANSFORMS.map((t) => [t.name, t]));

export function findTransform(name: string): TransformDefinition | undefined {
  return byName.get(name);
}

/** The live function for a node: unknown names and bad configs throw VALIDATION_FAILED. */
export function buildTransform(name: string, config: unknown): TransformFn {
  const def = byName.get(name);
  if (!def) {
    const known = TRANSFORMS.map((t) => t.name).join(', ');
    throw SynqxError.validation(
      [{ field: 'operator_class', message: `unknown transform "${name}" (known: ${known})`, error_type: 'unknown_transform' }],
      `unknown transform "${name}"`,
    );
  }
  return def.build(config);
}

/** Every problem with a node's config, expressions included (with positions), for API validation. */
export function validateTransformConfig(name: string, config: unknown): FieldProblem[] {
  try {
    buildTransform(name, config);
    return [];
  } catch (err) {
    if (err instanceof SynqxError && err.code === 'VALIDATION_FAILED' && Array.isArray(err.details)) return err.details as FieldProblem[];
    throw err;
  }
}
