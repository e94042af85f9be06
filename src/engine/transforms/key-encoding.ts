import { DataType, Int, type Data, type Field } from 'apache-arrow';
import { SynqxError } from '../../core/errors.js';
import { valueEncoder } from './row-keys.js';

/**
 * Join and merge keys as strings, so one JS Map can hash rows by the values of several columns.
 * Two rows get the same encoding exactly when every key value is equal; a row with a NULL in any key
 * column gets `null` (SQL: NULL never equals anything, not even NULL). Integers of any width and
 * signedness encode as their decimal value, so an int32 key matches an int64 key of the same number.
 */
export type KeyReader = (row: number) => string | null;

export function keyReader(columns: readonly Data[]): KeyReader {
  for (const c of columns) if (!isKeyType(c.type)) throw new SynqxError('DATA_ERROR', `a column of type ${String(c.type)} cannot be a key`);
  // The same value encodings as DISTINCT and GROUP BY keys (row-keys.ts); only NULL differs: here it never matches.
  const parts = columns.map(valueEncoder);
  if (parts.length === 1) return parts[0]!;
  return (row) => {
    let key = '';
    for (const part of parts) {
      const v = part(row);
      if (v === null) return null;
      // Length-prefixed, so ('a|b','c') and ('a','b|c') never collide.
      key += `${v.length}:${v}`;
    }
    return key;
  };
}

/** Why two key columns cannot be compared, or undefined when they can. */
export function keyTypeMismatch(a: Field, b: Field): string | undefined {
  if (DataType.isInt(a.type) && DataType.isInt(b.type)) return undefined;
  if (!isKeyType(a.type)) return `column "${a.name}" has type ${String(a.type)}, which cannot be a key`;
  if (!isKeyType(b.type)) return `column "${b.name}" has type ${String(b.type)}, which cannot be a key`;
  if (sameType(a.type, b.type)) return undefined;
  return `key columns "${a.name}" (${String(a.type)}) and "${b.name}" (${String(b.type)}) have different types`;
}

export function isKeyType(type: DataType): boolean {
  return !(DataType.isList(type) || DataType.isStruct(type) || DataType.isMap(type) || DataType.isUnion(type) || DataType.isFixedSizeList(type));
}

/** Same Arrow type, parameters included (units, scale, time zone, dictionary value type). */
export function sameType(a: DataType, b: DataType): boolean {
  if (a.typeId !== b.typeId) return false;
  if (DataType.isDictionary(a) && DataType.isDictionary(b)) return sameType(a.dictionary, b.dictionary);
  return String(a) === String(b) && JSON.stringify(a, jsonSafe) === JSON.stringify(b, jsonSafe);
}

function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return String(value);
  if (typeof value === 'function') return undefined;
  return value;
}

/**
 * The integer type that holds every value of both (for a coalesced key column): the wider one when
 * signedness agrees, else a signed type wider than the unsigned one (capped at 64 bits).
 */
export function commonIntType(a: Int, b: Int): Int {
  if (a.isSigned === b.isSigned) return a.bitWidth >= b.bitWidth ? a : b;
  const signed = a.isSigned ? a : b;
  const unsigned = a.isSigned ? b : a;
  const width = Math.min(64, Math.max(signed.bitWidth, unsigned.bitWidth * 2)) as 8 | 16 | 32 | 64;
  return new Int(true, width);
}
