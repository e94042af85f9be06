import {
  Bool,
  DateDay,
  FixedSizeBinary,
  Float32,
  Float64,
  Int16,
  Int32,
  Int64,
  makeData,
  TimestampMicrosecond,
  type Data,
  type DataType,
} from 'apache-arrow';
import { utf8Data, validityOfValues } from './column-data.js';

/**
 * The target types of type_cast: the names a config may use (Postgres spellings and aliases), the
 * Arrow type each becomes (the same one the Postgres source produces for that column type, so a sink
 * creates or matches the right column) and the exact Postgres type recorded in the field metadata.
 */
export type CastType = 'int2' | 'int4' | 'int8' | 'float4' | 'float8' | 'numeric' | 'text' | 'bool' | 'date' | 'timestamp' | 'timestamptz' | 'uuid' | 'jsonb';

export const CAST_TYPE_NAMES: Readonly<Record<string, CastType>> = {
  int2: 'int2',
  smallint: 'int2',
  int4: 'int4',
  int: 'int4',
  integer: 'int4',
  int8: 'int8',
  bigint: 'int8',
  float4: 'float4',
  real: 'float4',
  float8: 'float8',
  double: 'float8',
  'double precision': 'float8',
  numeric: 'numeric',
  decimal: 'numeric',
  text: 'text',
  bool: 'bool',
  boolean: 'bool',
  date: 'date',
  timestamp: 'timestamp',
  timestamptz: 'timestamptz',
  uuid: 'uuid',
  jsonb: 'jsonb',
  // The original SynqX cast with pandas / Python dtype names.
  int16: 'int2',
  int32: 'int4',
  int64: 'int8',
  float: 'float8',
  float32: 'float4',
  float64: 'float8',
  str: 'text',
  string: 'text',
  object: 'text',
  varchar: 'text',
  datetime: 'timestamp',
  datetime64: 'timestamp',
  'datetime64[ns]': 'timestamp',
  json: 'jsonb',
};

export const PG_TYPE: Readonly<Record<CastType, string>> = {
  int2: 'smallint',
  int4: 'integer',
  int8: 'bigint',
  float4: 'real',
  float8: 'double precision',
  numeric: 'numeric',
  text: 'text',
  bool: 'boolean',
  date: 'date',
  timestamp: 'timestamp without time zone',
  timestamptz: 'timestamp with time zone',
  uuid: 'uuid',
  jsonb: 'jsonb',
};

/**
 * An Arrow column of `target` from converted values (null = NULL): numbers for int2/int4/float4/
 * float8, bigint for int8, days for date, epoch microseconds for timestamps, booleans, strings for
 * text/numeric/jsonb, 16 bytes for uuid.
 */
export function castColumn(target: CastType, values: readonly unknown[]): Data {
  const n = values.length;
  const validity = validityOfValues(values);
  const fixed = <T extends { [i: number]: number | bigint }>(type: DataType, data: T, set: (v: unknown) => number | bigint): Data => {
    for (let i = 0; i < n; i++) if (values[i] !== null) data[i] = set(values[i]) as never;
    return makeData({ type, length: n, data: data as never, ...validity } as never);
  };
  switch (target) {
    case 'int2':
      return fixed(new Int16(), new Int16Array(n), (v) => v as number);
    case 'int4':
      return fixed(new Int32(), new Int32Array(n), (v) => v as number);
    case 'int8':
      return fixed(new Int64(), new BigInt64Array(n), (v) => v as bigint);
    case 'float4':
      return fixed(new Float32(), new Float32Array(n), (v) => v as number);
    case 'float8':
      return fixed(new Float64(), new Float64Array(n), (v) => v as number);
    case 'date':
      return fixed(new DateDay(), new Int32Array(n), (v) => v as number);
    case 'timestamp':
    case 'timestamptz':
      return fixed(target === 'timestamptz' ? new TimestampMicrosecond('UTC') : new TimestampMicrosecond(), new BigInt64Array(n), (v) => BigInt(Math.round(v as number)));
    case 'bool': {
      const bits = new Uint8Array(((n + 63) & ~63) >> 3);
      for (let i = 0; i < n; i++) if (values[i] === true) bits[i >> 3]! |= 1 << (i & 7);
      return makeData({ type: new Bool(), length: n, data: bits, ...validity });
    }
    case 'uuid': {
      const bytes = new Uint8Array(16 * n);
      for (let i = 0; i < n; i++) if (values[i] !== null) bytes.set(values[i] as Uint8Array, 16 * i);
      return makeData({ type: new FixedSizeBinary(16), length: n, data: bytes, ...validity });
    }
    case 'text':
    case 'numeric':
    case 'jsonb':
      return utf8Data(values as (string | null)[]);
  }
}
