import { DateUnit, Float32, Float64, Int16, Int32, Int64, TimestampMicrosecond, Type, makeData } from 'apache-arrow';
import type { Data, DataType, DateDay } from 'apache-arrow';
import { Kind } from './type-map.js';

const DAY_MICROS = 86_400_000_000n;
const INT32_MAX = 2 ** 31 - 1;
const INT32_MIN = -(2 ** 31);

/** Bits of an integer type's range: int16 → 16, uint16 → 17 (it needs a sign bit more). */
function intBits(t: DataType): number {
  const { bitWidth, isSigned } = t as unknown as { bitWidth: number; isSigned: boolean };
  return bitWidth + (isSigned ? 0 : 1);
}

/**
 * Integers into floats (a float holds every integer up to 2^24 / 2^53 exactly: int16 into real,
 * int32 into double precision) and dates into timestamps (midnight UTC), as Postgres' assignment
 * casts do. A destination created when derive typed `age + 1` double precision and a date column
 * timestamptz still takes the int4 and date columns it produces now.
 */
function widenAcross(data: Data, kind: Kind): Data | undefined {
  const t = data.type;
  const n = data.length;
  if (t.typeId === Type.Int && ((kind === Kind.FLOAT4 && intBits(t) <= 16) || (kind === Kind.FLOAT8 && intBits(t) <= 32))) {
    const src = data.values as ArrayLike<number>;
    const out = kind === Kind.FLOAT4 ? new Float32Array(n) : new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = src[i]!;
    return rebuild(data, kind === Kind.FLOAT4 ? new Float32() : new Float64(), out);
  }
  if (t.typeId === Type.Date && (t as DateDay).unit === DateUnit.DAY && (kind === Kind.TIMESTAMP || kind === Kind.TIMESTAMPTZ)) {
    const src = data.values as Int32Array;
    const out = new BigInt64Array(n);
    for (let i = 0; i < n; i++) {
      const d = src[i]!;
      // The date ±infinity (int32's ends) are the timestamp ±infinity (int64's ends).
      out[i] = d === INT32_MAX ? 2n ** 63n - 1n : d === INT32_MIN ? -(2n ** 63n) : BigInt(d) * DAY_MICROS;
    }
    return rebuild(data, kind === Kind.TIMESTAMPTZ ? new TimestampMicrosecond('UTC') : new TimestampMicrosecond(), out);
  }
  return undefined;
}

/**
 * Lossless widening of a column a transform produced (Int8 → smallint, Int32 → bigint, Float32 →
 * double precision, Int32 → double precision, date → timestamp, …) into the Arrow type the encoder
 * writes for `kind`. Narrowing is refused: returns undefined, and the caller reports the column.
 */
export function coerceData(data: Data, kind: Kind): Data | undefined {
  const t = data.type;
  if (t.typeId === Type.Int && (kind === Kind.INT2 || kind === Kind.INT4 || kind === Kind.INT8)) {
    const { bitWidth, isSigned } = t as unknown as { bitWidth: number; isSigned: boolean };
    const width = kind === Kind.INT2 ? 16 : kind === Kind.INT4 ? 32 : 64;
    if (bitWidth === 64 || (isSigned ? bitWidth > width : bitWidth >= width)) return undefined;
    const src = data.values as ArrayLike<number>;
    const n = data.length;
    if (kind === Kind.INT8) {
      const pairs = new Int32Array(n * 2);
      for (let i = 0; i < n; i++) {
        const v = src[i]!;
        pairs[i * 2] = v | 0;
        pairs[i * 2 + 1] = v < 0 ? -1 : 0;
      }
      return rebuild(data, new Int64(), new BigInt64Array(pairs.buffer, 0, n));
    }
    const out = kind === Kind.INT2 ? new Int16Array(n) : new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = src[i]!;
    return rebuild(data, kind === Kind.INT2 ? new Int16() : new Int32(), out);
  }
  if (t.typeId === Type.Float && kind === Kind.FLOAT8 && (t as Float32).precision === 1) {
    const src = data.values as Float32Array;
    return rebuild(data, new Float64(), Float64Array.from(src.subarray(0, data.length)));
  }
  return widenAcross(data, kind);
}

function rebuild(data: Data, type: DataType, values: ArrayBufferView): Data {
  return makeData({
    type,
    length: data.length,
    offset: data.offset,
    nullCount: data.nullCount,
    nullBitmap: data.nullCount > 0 ? data.nullBitmap : undefined,
    data: values,
  } as never);
}

/** Whether `coerceData` can turn a column of Arrow type `t` into what `kind` needs. */
export function canCoerce(t: DataType, kind: Kind): boolean {
  if (t.typeId === Type.Int && (kind === Kind.INT2 || kind === Kind.INT4 || kind === Kind.INT8)) {
    const { bitWidth, isSigned } = t as unknown as { bitWidth: number; isSigned: boolean };
    const width = kind === Kind.INT2 ? 16 : kind === Kind.INT4 ? 32 : 64;
    return bitWidth !== 64 && (isSigned ? bitWidth <= width : bitWidth < width);
  }
  if (t.typeId === Type.Int) return (kind === Kind.FLOAT4 && intBits(t) <= 16) || (kind === Kind.FLOAT8 && intBits(t) <= 32);
  if (t.typeId === Type.Date) return (t as DateDay).unit === DateUnit.DAY && (kind === Kind.TIMESTAMP || kind === Kind.TIMESTAMPTZ);
  return t.typeId === Type.Float && kind === Kind.FLOAT8 && (t as Float32).precision === 1;
}
