import { Field, makeVector, Utf8, vectorFromArray, type Data, type RecordBatch } from 'apache-arrow';
import { SynqxError } from '../../core/errors.js';
import { withColumns } from './columns.js';

/**
 * Helpers shared by the row-wise transforms. Column names are only known once a batch arrives, so a
 * missing column is a DATA_ERROR raised on the first batch (the empty schema batch included, so it
 * fails before any data moves).
 */
export function columnIndex(batch: RecordBatch, name: string, what: string): number {
  const i = batch.schema.fields.findIndex((f) => f.name === name);
  if (i < 0) {
    const names = batch.schema.fields.map((f) => f.name).join(', ');
    throw new SynqxError('DATA_ERROR', `${what}: column "${name}" not found; the input has: ${names}`);
  }
  return i;
}

export function requireColumns(batch: RecordBatch, names: readonly string[], what: string): void {
  for (const n of names) columnIndex(batch, n, what);
}

/** A new batch with column `index` replaced (or appended when `index` is the column count). */
export function setColumn(batch: RecordBatch, index: number, field: Field, data: Data): RecordBatch {
  const fields = batch.schema.fields.slice();
  const children = batch.data.children.slice();
  fields[index] = field;
  children[index] = data;
  return withColumns(batch, fields, children);
}

/** The same field, now holding `type` (name, nullability and metadata kept). */
export function retyped(field: Field, type: Field['type']): Field {
  return new Field(field.name, type, true, field.metadata);
}

/** Reads a column as JS values (one `get` per row); used where the output is rebuilt anyway. */
export function cellsOf(data: Data): unknown[] {
  const v = makeVector(data);
  const out = new Array<unknown>(data.length);
  for (let i = 0; i < data.length; i++) out[i] = v.get(i);
  return out;
}

/** The validity of a column built from `values` (null or undefined = NULL): no bitmap when nothing is NULL. */
export function validityOfValues(values: readonly unknown[]): { nullCount: number; nullBitmap?: Uint8Array } {
  const n = values.length;
  const bits = new Uint8Array(((n + 63) & ~63) >> 3);
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    if (values[i] === null || values[i] === undefined) nulls++;
    else bits[i >> 3]! |= 1 << (i & 7);
  }
  return nulls === 0 ? { nullCount: 0 } : { nullCount: nulls, nullBitmap: bits };
}

/** A Utf8 column from strings (null = NULL). */
export function utf8Data(values: readonly (string | null)[]): Data {
  return vectorFromArray(values as (string | null)[], new Utf8()).data[0]!;
}
