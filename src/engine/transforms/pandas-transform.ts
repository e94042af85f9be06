import { z } from 'zod';
import { dropColumns, renameColumns } from './columns.js';
import { filterWith, parseCondition } from './filter.js';
import type { TransformFn } from './transform.js';

export const pandasTransformConfigSchema = z
  .object({
    drop_columns: z.array(z.string().min(1)).optional(),
    rename_columns: z.record(z.string().min(1), z.string().min(1)).optional(),
    filter_query: z.string().min(1).optional(),
  })
  .strict();

export type PandasTransformConfig = z.infer<typeof pandasTransformConfigSchema>;

/**
 * The original SynqX transform, with its pandas semantics: keys apply in the order drop_columns,
 * rename_columns, filter_query (so the query sees renamed names); dropping a missing column is an
 * error (pandas raises KeyError) while renaming a missing one is ignored (pandas ignores it).
 */
export function buildPandasTransform(config: PandasTransformConfig): TransformFn {
  const drop = config.drop_columns ?? [];
  const rename = config.rename_columns ?? {};
  const filter = config.filter_query === undefined ? undefined : filterWith(parseCondition(config.filter_query, 'config.filter_query', 'pandas'));
  return (batch, ctx) => {
    const reshaped = renameColumns(dropColumns(batch, drop, 'pandas_transform drop_columns'), rename, 'pandas_transform', true);
    return filter ? filter(reshaped, ctx) : reshaped;
  };
}
