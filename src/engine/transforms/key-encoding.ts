import { DataType, Int, makeVector, type Data, type Field } from 'apache-arrow';
import { SynqxError } from '../../core/errors.js';

/**
 * Join and merge keys as strings, so one JS Map can hash rows by the values of several columns.
 * Two rows get the same encoding exactly when every key value is equal; a row with a NULL in any key
 * column gets `null` (SQL: NULL never equals anything, not even NULL). Integers of any width and
 * signedness encode as their decimal value, so an int32 key matches an int64 key of the same number.
 */
export type KeyReader = (row: number) => string | null;

type CellEncoder = (row: number) => string;

export function keyReader(columns: readonly Data[]): KeyReader {
  const encoders = columns.map(cellEncoder);
  const valid = columns.map(validityOf);
  if (columns.length === 1) {
    const enc = encoders[0]!;
    const ok = valid[0]!;
    return (row) => (ok(row) ? enc(row) : null);
  }
  return (row) => {
    let key = '';
    for (let c = 0; c < encoders.length; c++) {
      if (!valid[c]!(row)) return null;
      const part = encoders[c]!(row);
      // Length-prefixed, so ('a|b','c') and ('a','b|c') never collide.
      key += `${part.length}:${part}`;
    }
    return key;
  };
}

function validityOf(data: Data): (row: number) => boolean {
  if (DataType.isNull(data.type)) return () => false;
  const bits = data.nullBitmap;
  if (data.nullCount === 0 || !bits || bits.length === 0) return () => true;
  const offset = data.offset;
  return (row) => ((bits[(offset + row) >> 3]! >> ((offset + row) & 7)) & 1) === 1;
}

function cellEncoder(data: Data): CellEncoder {
  const type = data.type;
  if (DataType.isNull(type)) return () => '';
  if (DataType.isInt(type)) {
    const values = data.values as unknown as ArrayLike<number | bigint>;
    return (row) => String(values[row]!);
  }
  if (DataType.isBool(type)) {
    const bits = data.values as Uint8Array;
    const offset = data.offset;
    return (row) => String((bits[(offset + row) >> 3]! >> ((offset + row) & 7)) & 1);
  }
  if (DataType.isBinary(type) || DataType.isFixedSizeBinary(type) || DataType.isLargeBinary(type)) {
    const v = makeVector(data);
    return (row) => Buffer.from(v.get(row) as Uint8Array).toString('latin1');
  }
  if (DataType.isFloat(type) || DataType.isUtf8(type) || DataType.isLargeUtf8(type) || DataType.isDictionary(type)) {
    // Floats: String(-0) is '0' and String(NaN) is 'NaN', so -0 = 0 and NaN = NaN, as in Postgres.
    const v = makeVector(data);
    return (row) => String(v.get(row));
  }
  if (DataType.isDecimal(type) || DataType.isDate(type) || DataType.isTime(type) || DataType.isTimestamp(type) || DataType.isDuration(type) || DataType.isInterval(type)) {
    // The stored integer words, exactly: reading them as JS values could round (timestamps in µs → ms).
    const values = data.values as unknown as ArrayLike<number | bigint>;
    const stride = data.stride;
    if (stride === 1) return (row) => String(values[row]!);
    return (row) => {
      let s = '';
      for (let k = 0; k < stride; k++) s += `${String(values[row * stride + k]!)},`;
      return s;
    };
  }
  throw new SynqxError('DATA_ERROR', `a column of type ${String(type)} cannot be a key`);
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
