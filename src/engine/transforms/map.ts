import { z } from 'zod';
import { SynqxError } from '../../core/errors.js';
import { dropColumns, renameColumns } from './columns.js';
import type { TransformFn } from './transform.js';

export const mapConfigSchema = z
  .object({
    rename: z.record(z.string().min(1), z.string().min(1)).optional(),
    drop: z.array(z.string().min(1)).min(1).optional(),
  })
  .strict();

export type MapConfig = z.infer<typeof mapConfigSchema>;

/**
 * Both `rename` keys and `drop` name input columns, so the order of the two keys does not matter; a
 * column both renamed and dropped is a config error rather than a guess. Unknown columns are errors.
 */
export function buildMap(config: MapConfig): TransformFn {
  const rename = config.rename ?? {};
  const drop = config.drop ?? [];
  const both = drop.filter((name) => Object.hasOwn(rename, name));
  if (both.length > 0) {
    throw SynqxError.validation(
      both.map((name) => ({ field: 'config.drop', message: `column "${name}" is both renamed and dropped`, error_type: 'conflicting_columns' })),
      `map: column "${both[0]}" is both renamed and dropped`,
    );
  }
  // Rename keys and drop names are disjoint, so renaming after the drop still checks every key against the input.
  return (batch) => renameColumns(dropColumns(batch, drop, 'map'), rename, 'map');
}
