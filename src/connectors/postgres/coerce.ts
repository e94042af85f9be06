import { Float64, Int16, Int32, Int64, Type, makeData } from 'apache-arrow';
import type { Data, DataType, Float32 } from 'apache-arrow';
import { Kind } from './type-map.js';

/**
 * Lossless widening of a column a transform produced (Int8 → smallint, Int32 → bigint, Float32 →
 * double precision, …) into the Arrow type the encoder writes for `kind`. Narrowing is refused:
 * returns undefined, and the caller reports the column.
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
  return undefined;
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
  return t.typeId === Type.Float && kind === Kind.FLOAT8 && (t as Float32).precision === 1;
}
