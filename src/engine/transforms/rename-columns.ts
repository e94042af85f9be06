import { z } from 'zod';
import { requireColumns } from './column-data.js';
import { renameColumns } from './columns.js';
import type { TransformFn } from './transform.js';

export const renameColumnsConfigSchema = z
  .object({
    mapping: z
      .record(z.string().min(1), z.string().min(1))
      .refine((m) => Object.keys(m).length > 0, { message: 'mapping needs at least one column' }),
  })
  .strict();

export type RenameColumnsConfig = z.infer<typeof renameColumnsConfigSchema>;

/** Renames `{old: new}` (zero-copy); a missing old name is a DATA_ERROR, two columns ending with one name an error. */
export function buildRenameColumns(config: RenameColumnsConfig): TransformFn {
  const from = Object.keys(config.mapping);
  return (batch) => {
    requireColumns(batch, from, 'rename_columns');
    return renameColumns(batch, config.mapping, 'rename_columns');
  };
}
