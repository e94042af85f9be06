import { z } from 'zod';
import { requireColumns } from './column-data.js';
import { dropColumns } from './columns.js';
import type { TransformFn } from './transform.js';

export const dropColumnsConfigSchema = z.object({ columns: z.array(z.string().min(1)).min(1) }).strict();

export type DropColumnsConfig = z.infer<typeof dropColumnsConfigSchema>;

/** Drops `columns` (zero-copy); dropping a column the input lacks is a DATA_ERROR, not a silent no-op. */
export function buildDropColumns(config: DropColumnsConfig): TransformFn {
  return (batch) => {
    requireColumns(batch, config.columns, 'drop_columns');
    return dropColumns(batch, config.columns, 'drop_columns');
  };
}
