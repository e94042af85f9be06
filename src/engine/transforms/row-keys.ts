import { DataType, makeVector, type Data, type RecordBatch } from 'apache-arrow';

/**
 * Encodes the values of some columns of a row as one string, so that rows with equal values (SQL
 * equality, with NULL equal to NULL as in DISTINCT and GROUP BY) get equal strings and others never
 * do. Fixed-width values are read from their buffers, so microsecond timestamps and int64s stay exact;
 * -0 equals 0 and every NaN equals every NaN, as in Postgres.
 */
export type RowKey = (row: number) => string;

export function rowKeyOf(batch: RecordBatch, columns: readonly number[]): RowKey {
  const parts = columns.map((c) => valueEncoder(batch.data.children[c]!));
  if (parts.length === 1) {
    const only = parts[0]!;
    return (row) => {
      const v = only(row);
      return v === null ? 'n' : 'v' + v;
    };
  }
  return (row) => {
    let key = '';
    for (const part of parts) {
      const v = part(row);
      // Length-prefixed, so no value can spill into the next column's part.
      key += v === null ? 'n;' : `${v.length}:${v}`;
    }
    return key;
  };
}

/** One column's values as strings (equal values, equal strings; exact for int64 and µs timestamps); null for NULL. */
export type Encoder = (row: number) => string | null;

export function valueEncoder(data: Data): Encoder {
  const type = data.type;
  const valid = validity(data);
  const withNulls = (encode: (row: number) => string): Encoder => (valid ? (row) => (valid(row) ? encode(row) : null) : encode);
  if (DataType.isNull(type)) return () => null;
  if (DataType.isBool(type)) {
    const bits = data.values as Uint8Array;
    return withNulls((row) => {
      const i = data.offset + row;
      return (bits[i >> 3]! >> (i & 7)) & 1 ? 't' : 'f';
    });
  }
  if (DataType.isFloat(type) && data.stride === 1 && !(data.values instanceof Uint16Array)) {
    const values = data.values as Float32Array | Float64Array;
    return withNulls((row) => {
      const v = values[row]!;
      return v === 0 ? '0' : String(v);
    });
  }
  if (DataType.isInt(type) || DataType.isDate(type) || DataType.isTime(type) || DataType.isTimestamp(type) || DataType.isDuration(type)) {
    const values = data.values as unknown as ArrayLike<number | bigint>;
    const stride = data.stride;
    if (stride === 1) return withNulls((row) => String(values[row]));
    return withNulls((row) => {
      let s = '';
      for (let k = 0; k < stride; k++) s += `${String(values[row * stride + k])},`;
      return s;
    });
  }
  if (DataType.isUtf8(type) || DataType.isLargeUtf8(type)) {
    const vector = makeVector(data);
    return withNulls((row) => vector.get(row) as string);
  }
  if (DataType.isBinary(type) || DataType.isFixedSizeBinary(type) || DataType.isLargeBinary(type)) {
    const vector = makeVector(data);
    return withNulls((row) => Buffer.from(vector.get(row) as Uint8Array).toString('latin1'));
  }
  // Decimals, intervals, structs, lists, dictionaries…: their JSON form is exact and canonical per type.
  const vector = makeVector(data);
  return withNulls((row) => JSON.stringify(vector.get(row), jsonSafe));
}

function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  return value;
}

/** A row → valid test, or undefined when no row is NULL. */
export function validity(data: Data): ((row: number) => boolean) | undefined {
  if (data.nullCount === 0 || !data.nullBitmap || data.nullBitmap.length === 0) return DataType.isNull(data.type) ? () => false : undefined;
  const bits = data.nullBitmap;
  const offset = data.offset;
  return (row) => {
    const i = offset + row;
    return ((bits[i >> 3]! >> (i & 7)) & 1) === 1;
  };
}
