import { DataType, Field, type RecordBatch } from 'apache-arrow';
import { z } from 'zod';
import { FIELD_META_PK_POSITION } from '../../core/data-ports.js';
import { setColumn } from './column-data.js';
import { valToData } from './derive-columns.js';
import { frameFor } from './expr/compile.js';
import { parseConditions } from './filter.js';
import type { TransformFn } from './transform.js';

export const deriveConfigSchema = z
  .object({
    columns: z
      .record(z.string().min(1), z.string().min(1))
      .refine((m) => Object.keys(m).length > 0, { message: 'columns needs at least one {name: expression}' }),
  })
  .strict();

export type DeriveConfig = z.infer<typeof deriveConfigSchema>;

/**
 * A bare column reference is the column itself: its Arrow data and its recorded source type (so a
 * numeric(12,2) stays exact and numeric(12,2), a varchar(40) stays varchar(40), as `SELECT amount AS x`
 * would). Only the primary-key position is dropped: the copy is not part of the source's key. An
 * all-NULL Arrow Null column is not copied but evaluated (it becomes text, which a load can create).
 */
function columnCopy(batch: RecordBatch, index: number, name: string): { field: Field; data: RecordBatch['data']['children'][number] } | undefined {
  const source = batch.schema.fields[index]!;
  if (DataType.isNull(source.type)) return undefined;
  const metadata = new Map(source.metadata);
  metadata.delete(FIELD_META_PK_POSITION);
  return { field: new Field(name, source.type, true, metadata), data: batch.data.children[index]! };
}

/**
 * Adds or replaces columns from expressions. Every expression sees the input columns (not columns
 * derived in the same step), so the order of keys never changes a result; a replaced column keeps its
 * position, new ones are appended in config order. Each result has the type SQL gives the expression
 * (expr/sql-types.ts): `age + 1` on an int4 column is int4, a date stays a date, `null` is text.
 */
export function buildDerive(config: DeriveConfig): TransformFn {
  const names = Object.keys(config.columns);
  const parsed = parseConditions(names.map((name) => [`config.columns.${name}`, config.columns[name]!] as const));
  const exprs = names.map((name, i) => [name, parsed[i]!] as const);
  return (batch: RecordBatch, ctx) => {
    const n = batch.numRows;
    // One frame for the batch: an input column several expressions read is converted once.
    const frame = frameFor(batch, batch.schema, ctx?.now);
    let out = batch;
    for (const [name, expr] of exprs) {
      const bound = expr.bind(batch.schema);
      const copy = bound.column === undefined ? undefined : columnCopy(batch, bound.column, name);
      // A computed column drops any metadata: a source's Postgres type would no longer describe it.
      const data = copy?.data ?? valToData(bound.eval(frame), n, bound.sqlType, name);
      const field = copy?.field ?? new Field(name, data.type as DataType, true);
      const existing = out.schema.fields.findIndex((f) => f.name === name);
      out = setColumn(out, existing >= 0 ? existing : out.schema.fields.length, field, data);
    }
    return out;
  };
}
