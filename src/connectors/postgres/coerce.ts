import { DateUnit, Type, makeData } from 'apache-arrow';
import type { Data, DataType, DateDay, Float32, Int } from 'apache-arrow';
import { arrowTypeForKind, intRangeBits, Kind } from './type-map.js';

const DAY_MICROS = 86_400_000_000n;
const INT32_MAX = 2 ** 31 - 1;
const INT32_MIN = -(2 ** 31);
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

/**
 * The integer range (intRangeBits) each kind holds exactly: an integer kind its width; a float every
 * integer up to 2^24 / 2^53, so int16 into real and int32 into double precision, as Postgres'
 * assignment casts do.
 */
const EXACT_INT_BITS: Partial<Record<Kind, number>> = { [Kind.INT2]: 16, [Kind.INT4]: 32, [Kind.INT8]: 64, [Kind.FLOAT4]: 16, [Kind.FLOAT8]: 32 };

/** The typed array each number kind but int8 stores its values in. */
const NUMBER_ARRAYS: Partial<Record<Kind, new (n: number) => Int16Array | Int32Array | Float32Array | Float64Array>> = {
  [Kind.INT2]: Int16Array,
  [Kind.INT4]: Int32Array,
  [Kind.FLOAT4]: Float32Array,
  [Kind.FLOAT8]: Float64Array,
};

/**
 * Whether `coerceData` can turn a column of Arrow type `t` into what `kind` needs: an integer into a
 * wider integer or a float that holds it exactly, Float32 into double precision, a date into a
 * timestamp (midnight UTC). A destination created when derive typed `age + 1` double precision and a
 * date column timestamptz still takes the int4 and date columns it produces now.
 */
export function canCoerce(t: DataType, kind: Kind): boolean {
  switch (t.typeId) {
    case Type.Int: {
      const room = EXACT_INT_BITS[kind];
      // Int64 already is int8 (no coercion needed); uint64 fits no kind.
      return room !== undefined && (t as Int).bitWidth !== 64 && intRangeBits(t as Int) <= room;
    }
    case Type.Date:
      return (t as DateDay).unit === DateUnit.DAY && (kind === Kind.TIMESTAMP || kind === Kind.TIMESTAMPTZ);
    case Type.Float:
      return kind === Kind.FLOAT8 && (t as Float32).precision === 1;
    default:
      return false;
  }
}

/**
 * Lossless widening of a column a transform produced (Int8 → smallint, Int32 → bigint, Float32 →
 * double precision, Int32 → double precision, date → timestamp, …) into the Arrow type the encoder
 * writes for `kind`. Narrowing is refused: returns undefined, and the caller reports the column.
 */
export function coerceData(data: Data, kind: Kind): Data | undefined {
  if (!canCoerce(data.type, kind)) return undefined;
  const n = data.length;
  const type = arrowTypeForKind(kind);
  if (data.type.typeId === Type.Date) {
    const src = data.values as Int32Array;
    const out = new BigInt64Array(n);
    for (let i = 0; i < n; i++) {
      const d = src[i]!;
      // The date ±infinity (int32's ends) are the timestamp ±infinity (int64's ends).
      out[i] = d === INT32_MAX ? INT64_MAX : d === INT32_MIN ? INT64_MIN : BigInt(d) * DAY_MICROS;
    }
    return rebuild(data, type, out);
  }
  const src = data.values as ArrayLike<number>;
  if (kind === Kind.INT8) {
    const pairs = new Int32Array(n * 2);
    for (let i = 0; i < n; i++) {
      const v = src[i]!;
      pairs[i * 2] = v | 0;
      pairs[i * 2 + 1] = v < 0 ? -1 : 0;
    }
    return rebuild(data, type, new BigInt64Array(pairs.buffer, 0, n));
  }
  const out = new NUMBER_ARRAYS[kind]!(n);
  for (let i = 0; i < n; i++) out[i] = src[i]!;
  return rebuild(data, type, out);
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
