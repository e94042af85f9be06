import { Bool, DateDay, Float32, Float64, Int16, Int32, Int64, makeData, TimestampMicrosecond, type Data, type DataType } from 'apache-arrow';
import { SynqxError } from '../../core/errors.js';
import { utf8Data } from './column-data.js';
import { inIntegerRange, INT64_MAX, INT64_MIN } from './expr/integer-range.js';
import { defaultSqlType, fitsSqlType, INTEGER_NAMES, type SqlType } from './expr/sql-types.js';
import { DAY_MICROS, type Scalar, type Val, type Validity, type Vec } from './expr/values.js';

/**
 * An evaluated expression as an Arrow column of its SQL type, in the Arrow type the Postgres source
 * gives a column of that type (Int32 for integer, DateDay for date, Timestamp[µs] without a zone for
 * timestamp, …), so a load that creates its destination creates the column SQL would.
 */
type Values = Float64Array | BigInt64Array;

function bitmap(n: number, bit: (i: number) => boolean): { bits: Uint8Array; unset: number } {
  const bits = new Uint8Array(((n + 63) & ~63) >> 3);
  let unset = 0;
  for (let i = 0; i < n; i++) {
    if (bit(i)) bits[i >> 3]! |= 1 << (i & 7);
    else unset++;
  }
  return { bits, unset };
}

function validityOf(n: number, valid: Validity): { nullCount: number; nullBitmap?: Uint8Array } {
  if (!valid) return { nullCount: 0 };
  const { bits, unset } = bitmap(n, (i) => valid[i] === 1);
  return unset === 0 ? { nullCount: 0 } : { nullCount: unset, nullBitmap: bits };
}

/** Fixed-width Arrow types by SQL type, with the typed array each stores its values in. */
const FIXED = {
  int2: () => [new Int16(), Int16Array],
  int4: () => [new Int32(), Int32Array],
  int8: () => [new Int64(), BigInt64Array],
  float4: () => [new Float32(), Float32Array],
  float8: () => [new Float64(), Float64Array],
  date: () => [new DateDay(), Int32Array],
  timestamp: () => [new TimestampMicrosecond(), BigInt64Array],
  timestamptz: () => [new TimestampMicrosecond('UTC'), BigInt64Array],
} as const satisfies Partial<Record<SqlType, () => readonly [DataType, new (n: number) => ArrayBufferView]>>;

function fixed(t: keyof typeof FIXED, data: ArrayBufferView, n: number, valid: Validity): Data {
  return makeData({ type: FIXED[t]()[0], length: n, data, ...validityOf(n, valid) } as never);
}

/** Where a value cannot be stored in its column's type: names the derived column and the row. */
function unstorable(column: string, row: number, what: string, value: number): SynqxError {
  return new SynqxError('DATA_ERROR', `derive: column "${column}": ${what} (row ${row + 1} of the batch)`, {
    details: { column, row: row + 1, value: String(value) },
  });
}

function allNull(t: SqlType, n: number): Data {
  if (t === 'text') return utf8Data(new Array<string | null>(n).fill(null));
  const valid = new Uint8Array(n);
  if (t === 'bool') return makeData({ type: new Bool(), length: n, data: new Uint8Array(((n + 63) & ~63) >> 3), ...validityOf(n, valid) });
  return fixed(t, new (FIXED[t]()[1])(n), n, valid);
}

/** A scalar as a vector of `n` rows (text is handled apart: it needs no typed buffer). */
function broadcast(v: Scalar, n: number): Vec {
  switch (v.type) {
    case 'bool':
      return { s: false, type: 'bool', values: new Uint8Array(n).fill(v.value ? 1 : 0), valid: null };
    case 'int64':
      return { s: false, type: 'int64', values: new BigInt64Array(n).fill(v.value ?? 0n), valid: null };
    case 'str': {
      const s = v.value ?? '';
      return { s: false, type: 'str', values: { get: () => s }, valid: null };
    }
    default:
      return { s: false, type: v.type === 'time' ? 'time' : 'num', values: new Float64Array(n).fill(Number(v.value ?? 0)), valid: null };
  }
}

/** Why `x` does not fit integer type `t` (it is fractional, or out of range), as the error for `row`. */
function unfit(t: 'int2' | 'int4', x: number | bigint, row: number, column: string): SynqxError {
  const n = Number(x);
  return Number.isInteger(n) ? unstorable(column, row, `${INTEGER_NAMES[t]} out of range: ${x}`, n) : unstorable(column, row, `${x} is not an integer`, n);
}

/** int2 / int4 from float64 or int64 values: each must be whole and in range, as Postgres requires. */
function smallInts(t: 'int2' | 'int4', src: Values, valid: Validity, n: number, column: string): Data {
  const out = t === 'int2' ? new Int16Array(n) : new Int32Array(n);
  if (src instanceof Float64Array) {
    // One test for "whole and in range": x survives a round trip through a 32-bit (or 16-bit) integer.
    const shift = t === 'int2' ? 16 : 0;
    for (let i = 0; i < n; i++) {
      const x = src[i]!;
      if ((x << shift) >> shift !== x && (!valid || valid[i])) throw unfit(t, x, i, column);
      out[i] = x;
    }
  } else {
    for (let i = 0; i < n; i++) {
      if (valid && !valid[i]) continue;
      const x = Number(src[i]!);
      if (!inIntegerRange(x, t)) throw unfit(t, src[i]!, i, column);
      out[i] = x;
    }
  }
  return fixed(t, out, n, valid);
}

/** int8 from float64: whole, and within ±(2^53 - 1), past which float64 arithmetic is no longer exact. */
function bigInts(src: Values, valid: Validity, n: number, column: string): Data {
  if (src instanceof BigInt64Array) return fixed('int8', src.length === n ? src : src.slice(0, n), n, valid);
  const out = new BigInt64Array(n);
  for (let i = 0; i < n; i++) {
    if (valid && !valid[i]) continue;
    const x = src[i]!;
    if (!Number.isInteger(x)) throw unstorable(column, i, `${x} is not an integer`, x);
    if (!Number.isSafeInteger(x)) throw unstorable(column, i, `bigint result ${x} is past ±2^53, where expression arithmetic (float64) stops being exact`, x);
    out[i] = BigInt(x);
  }
  return fixed('int8', out, n, valid);
}

function floats(t: 'float4' | 'float8', src: Values, valid: Validity, n: number): Data {
  if (t === 'float8' && src instanceof Float64Array) return fixed(t, src.length === n ? src : src.slice(0, n), n, valid);
  const out = t === 'float4' ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Number(src[i]!);
  return fixed(t, out, n, valid);
}

/** Epoch microseconds → int64, the ±infinity of Postgres (int64's ends, beyond float64's exact range) kept. */
function micros(x: number): bigint {
  if (!Number.isFinite(x)) return 0n;
  const b = BigInt(Math.round(x));
  return b > INT64_MAX ? INT64_MAX : b < INT64_MIN ? INT64_MIN : b;
}

function temporal(t: 'date' | 'timestamp' | 'timestamptz', src: Float64Array, valid: Validity, n: number): Data {
  if (t === 'date') {
    // A date's microseconds are whole days; rounding (not flooring) absorbs float64 error on far dates.
    const days = new Int32Array(n);
    for (let i = 0; i < n; i++) days[i] = Math.round(src[i]! / DAY_MICROS);
    return fixed(t, days, n, valid);
  }
  const out = new BigInt64Array(n);
  for (let i = 0; i < n; i++) out[i] = micros(src[i]!);
  return fixed(t, out, n, valid);
}

/**
 * Turns an evaluated expression into an Arrow column of `n` rows (scalars are broadcast), of SQL type
 * `sqlType` when the value can be stored as it, else of its evaluator type's default (sql-types.ts).
 * An untyped NULL becomes text, as in Postgres. Throws DATA_ERROR for a value its integer type cannot
 * hold (not whole, or out of range), naming `column` and the row.
 */
export function valToData(v: Val, n: number, sqlType: SqlType | undefined, column: string): Data {
  const target: SqlType = (sqlType && fitsSqlType(v.type, sqlType) ? sqlType : defaultSqlType(v.type)) ?? 'text';
  if (v.type === 'null' || (v.s && v.value === null)) return allNull(target, n);
  const vec = v.s ? broadcast(v, n) : v;
  switch (vec.type) {
    case 'bool': {
      const values = vec.values;
      return makeData({ type: new Bool(), length: n, data: bitmap(n, (i) => values[i] === 1).bits, ...validityOf(n, vec.valid) });
    }
    case 'str': {
      const out = new Array<string | null>(n);
      for (let i = 0; i < n; i++) out[i] = vec.valid && !vec.valid[i] ? null : vec.values.get(i);
      return utf8Data(out);
    }
    case 'time':
      return temporal(target as 'date' | 'timestamp' | 'timestamptz', vec.values, vec.valid, n);
    case 'num':
    case 'int64':
      if (target === 'int2' || target === 'int4') return smallInts(target, vec.values, vec.valid, n, column);
      if (target === 'int8') return bigInts(vec.values, vec.valid, n, column);
      return floats(target as 'float4' | 'float8', vec.values, vec.valid, n);
  }
  throw new SynqxError('INTERNAL', `derive: cannot store an expression value of type ${vec.type}`);
}
