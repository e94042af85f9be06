import { DataType, makeBuilder, makeData, makeVector, RecordBatch, Struct, type Data } from 'apache-arrow';
import { freshly } from './fresh-buffers.js';

/**
 * Row selection on Arrow data, which arrow-js does not provide: builds new buffers holding only the
 * selected rows, type by type (fixed width, bits, offsets + bytes, nested children, dictionary indices).
 * The input is never touched; a selection of every row returns the input batch itself.
 */
export function filterBatch(batch: RecordBatch, mask: Uint8Array): RecordBatch {
  const n = batch.numRows;
  let kept = 0;
  for (let i = 0; i < n; i++) kept += mask[i]!;
  if (kept === n) return batch;
  const indices = new Int32Array(kept);
  for (let i = 0, j = 0; i < n; i++) if (mask[i]) indices[j++] = i;
  return takeRows(batch, indices);
}

export function takeRows(batch: RecordBatch, indices: Int32Array): RecordBatch {
  const children = batch.data.children.map((child) => takeData(child, indices));
  const data = makeData({ type: new Struct(batch.schema.fields), length: indices.length, nullCount: 0, children });
  return new RecordBatch(batch.schema, data);
}

function bit(bits: Uint8Array, i: number): number {
  return (bits[i >> 3]! >> (i & 7)) & 1;
}

/** Validity of the selected rows, or undefined when none of them is NULL. */
function takeBitmap(data: Data, indices: Int32Array): { bitmap?: Uint8Array; nullCount: number } {
  if (data.nullCount === 0 || !data.nullBitmap || data.nullBitmap.length === 0) return { nullCount: 0 };
  const out = freshly(new Uint8Array(((indices.length + 63) & ~63) >> 3));
  let nulls = 0;
  for (let j = 0; j < indices.length; j++) {
    if (bit(data.nullBitmap, data.offset + indices[j]!)) out[j >> 3]! |= 1 << (j & 7);
    else nulls++;
  }
  return nulls === 0 ? { nullCount: 0 } : { bitmap: out, nullCount: nulls };
}

export function takeData(data: Data, indices: Int32Array): Data {
  const type = data.type;
  const length = indices.length;
  const { bitmap, nullCount } = takeBitmap(data, indices);
  const props = { type, length, nullCount, nullBitmap: bitmap } as const;

  if (DataType.isNull(type)) return makeData({ type, length });
  if (DataType.isBool(type)) {
    const src = data.values as Uint8Array;
    const out = freshly(new Uint8Array(((length + 63) & ~63) >> 3));
    for (let j = 0; j < length; j++) if (bit(src, data.offset + indices[j]!)) out[j >> 3]! |= 1 << (j & 7);
    return makeData({ ...props, type, data: out });
  }
  if (DataType.isUtf8(type) || DataType.isBinary(type)) {
    const { offsets, bytes } = takeVariable(data.valueOffsets as Int32Array, data.values as Uint8Array, indices);
    return makeData({ ...props, type, valueOffsets: offsets, data: bytes } as never);
  }
  if (DataType.isList(type) || DataType.isMap(type)) {
    const src = data.valueOffsets as Int32Array;
    const offsets = freshly(new Int32Array(length + 1));
    let total = 0;
    for (let j = 0; j < length; j++) {
      const i = indices[j]!;
      total += src[i + 1]! - src[i]!;
      offsets[j + 1] = total;
    }
    const childIdx = new Int32Array(total);
    for (let j = 0, w = 0; j < length; j++) {
      const i = indices[j]!;
      for (let c = src[i]!; c < src[i + 1]!; c++) childIdx[w++] = c;
    }
    const child = takeData(data.children[0]!, childIdx);
    return makeData({ ...props, type, valueOffsets: offsets, child } as never);
  }
  if (DataType.isFixedSizeList(type)) {
    const size = type.listSize;
    const childIdx = new Int32Array(length * size);
    for (let j = 0; j < length; j++) for (let c = 0; c < size; c++) childIdx[j * size + c] = indices[j]! * size + c;
    return makeData({ ...props, type, child: takeData(data.children[0]!, childIdx) });
  }
  if (DataType.isStruct(type)) {
    const children = data.children.map((c) => takeData(c, indices));
    return makeData({ ...props, type, children });
  }
  if (DataType.isDictionary(type)) {
    const out = gather(data.values as ArrayBufferView, 1, indices, type.indices.ArrayType);
    return makeData({ ...props, type, data: out, dictionary: data.dictionary } as never);
  }
  if (isFixedWidth(type)) {
    const out = gather(data.values as ArrayBufferView, data.stride, indices, type.ArrayType);
    return makeData({ ...props, type, data: out } as never);
  }
  return takeGeneric(data, indices);
}

/** Types whose values are `stride` elements of `values` (no offsets, no children). */
export function isFixedWidth(type: DataType): boolean {
  return (
    DataType.isInt(type) ||
    DataType.isFloat(type) ||
    DataType.isDecimal(type) ||
    DataType.isDate(type) ||
    DataType.isTime(type) ||
    DataType.isTimestamp(type) ||
    DataType.isInterval(type) ||
    DataType.isDuration(type) ||
    DataType.isFixedSizeBinary(type)
  );
}

type TypedCtor = new (n: number) => { [i: number]: number | bigint; length: number };

/**
 * Copies fixed-width values through an integer view of their bytes: no BigInt per int64, no float
 * round trip that could touch a NaN's bits. Long runs of consecutive rows (a filter keeping most rows)
 * are copied with one `set` each.
 */
function gather(src: ArrayBufferView, stride: number, indices: Int32Array, Ctor: TypedCtor): unknown {
  const elementBytes = (src as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
  const width = elementBytes * stride;
  const out = freshly(new Ctor(indices.length * stride) as unknown as ArrayBufferView);
  const n = indices.length;
  let runs = 1;
  for (let j = 1; j < n; j++) if (indices[j] !== indices[j - 1]! + 1) runs++;
  if (runs * 4 <= n) {
    const from = new Uint8Array(src.buffer, src.byteOffset, src.byteLength);
    const to = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    let j = 0;
    while (j < n) {
      let r = j;
      while (r + 1 < n && indices[r + 1] === indices[r]! + 1) r++;
      to.set(from.subarray(indices[j]! * width, (indices[r]! + 1) * width), j * width);
      j = r + 1;
    }
    return out;
  }
  const unit = width % 4 === 0 ? 4 : width % 2 === 0 ? 2 : 1;
  const View = unit === 4 ? Int32Array : unit === 2 ? Uint16Array : Uint8Array;
  const from = new View(src.buffer as ArrayBuffer, src.byteOffset, src.byteLength / unit);
  const to = new View(out.buffer as ArrayBuffer, out.byteOffset, out.byteLength / unit);
  const k = width / unit;
  if (k === 1) {
    for (let j = 0; j < n; j++) to[j] = from[indices[j]!]!;
  } else {
    for (let j = 0; j < n; j++) {
      const a = indices[j]! * k;
      for (let s = 0; s < k; s++) to[j * k + s] = from[a + s]!;
    }
  }
  return out;
}

function takeVariable(srcOffsets: Int32Array, srcBytes: Uint8Array, indices: Int32Array): { offsets: Int32Array; bytes: Uint8Array } {
  const offsets = freshly(new Int32Array(indices.length + 1));
  let total = 0;
  for (let j = 0; j < indices.length; j++) {
    const i = indices[j]!;
    total += srcOffsets[i + 1]! - srcOffsets[i]!;
    offsets[j + 1] = total;
  }
  const bytes = freshly(new Uint8Array(total));
  // Runs of consecutive selected rows are contiguous in the source: copy each run at once.
  let j = 0;
  while (j < indices.length) {
    let r = j;
    while (r + 1 < indices.length && indices[r + 1] === indices[r]! + 1) r++;
    const from = srcOffsets[indices[j]!]!;
    const to = srcOffsets[indices[r]! + 1]!;
    bytes.set(srcBytes.subarray(from, to), offsets[j]!);
    j = r + 1;
  }
  return { offsets, bytes };
}

/** Rare types (large offsets, unions, views): slower, through a builder, but never wrong. */
function takeGeneric(data: Data, indices: Int32Array): Data {
  const vector = makeVector(data);
  const builder = makeBuilder({ type: data.type, nullValues: [null, undefined] });
  for (let j = 0; j < indices.length; j++) builder.append(vector.get(indices[j]!));
  return builder.finish().flush();
}
