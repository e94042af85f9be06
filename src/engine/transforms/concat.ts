import { DataType, makeBuilder, makeData, makeVector, RecordBatch, Struct, type Data, type Schema } from 'apache-arrow';

/**
 * Concatenation of batches of one schema into one batch with fresh buffers, type by type like take.ts
 * (fixed width, bits, offsets + bytes); rarer types go through a builder. Stateful transforms use it
 * to turn the chunks they held into the batches they emit.
 */
export function concatBatches(schema: Schema, batches: readonly RecordBatch[]): RecordBatch {
  if (batches.length === 1 && batches[0]!.schema === schema) return batches[0]!;
  const length = batches.reduce((n, b) => n + b.numRows, 0);
  const children = schema.fields.map((_, c) => concatData(batches.map((b) => b.data.children[c]!)));
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length, nullCount: 0, children }));
}

export function concatData(parts: readonly Data[]): Data {
  const type = parts[0]!.type;
  const length = parts.reduce((n, d) => n + d.length, 0);
  if (parts.length === 1) return parts[0]!;
  const { bitmap, nullCount } = concatValidity(parts, length);
  const props = { type, length, nullCount, nullBitmap: bitmap } as const;
  if (DataType.isNull(type)) return makeData({ type, length });
  if (DataType.isBool(type)) {
    const out = new Uint8Array(((length + 63) & ~63) >> 3);
    let at = 0;
    for (const d of parts) {
      const src = d.values as Uint8Array;
      for (let i = 0; i < d.length; i++, at++) {
        const s = d.offset + i;
        if ((src[s >> 3]! >> (s & 7)) & 1) out[at >> 3]! |= 1 << (at & 7);
      }
    }
    return makeData({ ...props, type, data: out });
  }
  if (DataType.isUtf8(type) || DataType.isBinary(type)) {
    const offsets = new Int32Array(length + 1);
    let bytes = 0;
    for (const d of parts) {
      const o = d.valueOffsets as Int32Array;
      bytes += o[d.length]! - o[0]!;
    }
    const out = new Uint8Array(bytes);
    let row = 0;
    let pos = 0;
    for (const d of parts) {
      const o = d.valueOffsets as Int32Array;
      const base = o[0]!;
      for (let i = 1; i <= d.length; i++) offsets[row + i] = pos + o[i]! - base;
      out.set((d.values as Uint8Array).subarray(base, o[d.length]!), pos);
      pos += o[d.length]! - base;
      row += d.length;
    }
    return makeData({ ...props, type, valueOffsets: offsets, data: out } as never);
  }
  const fixed = DataType.isInt(type) || DataType.isFloat(type) || DataType.isDate(type) || DataType.isTime(type) || DataType.isTimestamp(type) || DataType.isDuration(type) || DataType.isDecimal(type) || DataType.isInterval(type) || DataType.isFixedSizeBinary(type);
  if (fixed) {
    const stride = parts[0]!.stride;
    const Ctor = (parts[0]!.values as unknown as { constructor: new (n: number) => { set(a: ArrayLike<unknown>, at: number): void } }).constructor;
    const out = new Ctor(length * stride);
    let at = 0;
    for (const d of parts) {
      out.set((d.values as unknown as { subarray(a: number, b: number): ArrayLike<unknown> }).subarray(0, d.length * stride), at);
      at += d.length * stride;
    }
    return makeData({ ...props, type, data: out } as never);
  }
  const builder = makeBuilder({ type, nullValues: [null, undefined] });
  for (const d of parts) {
    const v = makeVector(d);
    for (let i = 0; i < d.length; i++) builder.append(v.get(i));
  }
  return builder.finish().flush();
}

function concatValidity(parts: readonly Data[], length: number): { bitmap?: Uint8Array; nullCount: number } {
  const nullCount = parts.reduce((n, d) => n + d.nullCount, 0);
  if (nullCount === 0) return { nullCount: 0 };
  const out = new Uint8Array(((length + 63) & ~63) >> 3);
  let at = 0;
  for (const d of parts) {
    const bits = d.nullBitmap;
    const all = d.nullCount === 0 || !bits || bits.length === 0;
    for (let i = 0; i < d.length; i++, at++) {
      const s = d.offset + i;
      if (all ? !DataType.isNull(d.type) : (bits[s >> 3]! >> (s & 7)) & 1) out[at >> 3]! |= 1 << (at & 7);
    }
  }
  return { bitmap: out, nullCount };
}
