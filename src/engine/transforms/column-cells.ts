import { makeVector, type Data, type Field } from 'apache-arrow';
import { cellGetter, cellText, type Cell } from './expr/cells.js';
import { readColumn, readValidity, valueTypeOf, type ValueType } from './expr/values.js';
import { shownValue } from './rejected-rows.js';

/**
 * One column read row by row as the expression language sees it (numbers, int64 as bigint, text,
 * booleans, timestamps as epoch microseconds), so validate and type_cast compare and convert values
 * exactly as filter and derive do. Types expressions cannot read ('other': uuid, bytea, lists…) still
 * give their arrow-js values, enough for NULL checks, uniqueness and messages.
 */
export interface ColumnCells {
  type: ValueType | 'other';
  get(i: number): Cell | unknown;
  isNull(i: number): boolean;
  /** The value as text (timestamps as Postgres prints them), NULL as null. */
  text(i: number): string | null;
  /** The value as an error message shows it: text and timestamps quoted, long values truncated. */
  shown(i: number): string;
}

export function columnCells(field: Field, data: Data, as?: ValueType): ColumnCells {
  const type = as ?? valueTypeOf(field);
  const valid = readValidity(data);
  const isNull = (i: number) => (valid ? valid[i] === 0 : false);
  if (type === undefined) {
    const v = makeVector(data);
    const get = (i: number) => (isNull(i) ? null : v.get(i));
    return { type: 'other', get, isNull, text: (i) => (isNull(i) ? null : String(v.get(i))), shown: (i) => shownValue(get(i)) };
  }
  const get = cellGetter(readColumn(field, data, type));
  const text = (i: number) => cellText(get(i), type);
  const quoted = type === 'str' || type === 'time';
  return { type, get, isNull, text, shown: (i) => (quoted ? shownValue(text(i)) : shownValue(get(i))) };
}
