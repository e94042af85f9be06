import { z } from 'zod';
import type { TransformSpec } from './transform-spec.js';

// The one list of transforms. Each entry's config schema is strict: a typo in a key is an error at
// validation time, never a silently ignored option. (Implementations are attached by the engine.)

const columnList = z.array(z.string().min(1)).min(1);

const pandasTransform: TransformSpec = {
  name: 'pandas_transform',
  description: 'The original SynqX transform: drop_columns, then rename_columns, then filter_query',
  operatorTypes: ['transform'],
  inputs: 'one',
  configSchema: z
    .object({
      drop_columns: z.array(z.string().min(1)).optional(),
      rename_columns: z.record(z.string().min(1), z.string().min(1)).optional(),
      filter_query: z.string().min(1).optional(),
    })
    .strict(),
};

const filter: TransformSpec = {
  name: 'filter',
  description: 'Keeps the rows for which `condition` is true (SQL-like three-valued logic: NULL drops the row)',
  operatorTypes: ['transform'],
  inputs: 'one',
  configSchema: z.object({ condition: z.string().min(1) }).strict(),
};

const map: TransformSpec = {
  name: 'map',
  description: 'Renames (`rename`: {old: new}) and drops (`drop`: [names]) columns',
  operatorTypes: ['transform'],
  inputs: 'one',
  configSchema: z
    .object({
      rename: z.record(z.string().min(1), z.string().min(1)).optional(),
      drop: columnList.optional(),
    })
    .strict(),
};

const noop: TransformSpec = {
  name: 'noop',
  description: 'Passes batches through unchanged',
  operatorTypes: ['noop', 'transform'],
  inputs: 'one',
  configSchema: z.object({}).strict(),
};

export const TRANSFORMS: readonly TransformSpec[] = [pandasTransform, filter, map, noop];

const byName = new Map(TRANSFORMS.map((t) => [t.name, t]));

export function findTransform(name: string): TransformSpec | undefined {
  return byName.get(name);
}
