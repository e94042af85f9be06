import type { Data, Field } from 'apache-arrow';
import { z } from 'zod';
import { columnIndex } from './column-data.js';
import { columnNames } from './config-fields.js';
import { withColumns } from './columns.js';
import type { TransformFn } from './transform.js';

export const selectConfigSchema = z
  .object({
    columns: columnNames,
  })
  .strict();

export type SelectConfig = z.infer<typeof selectConfigSchema>;

/** Keeps `columns` in the order given (zero-copy); a column missing from the input is a DATA_ERROR. */
export function buildSelect(config: SelectConfig): TransformFn {
  return (batch) => {
    const fields: Field[] = [];
    const children: Data[] = [];
    for (const name of config.columns) {
      const i = columnIndex(batch, name, 'select');
      fields.push(batch.schema.fields[i]!);
      children.push(batch.data.children[i]!);
    }
    return withColumns(batch, fields, children);
  };
}
