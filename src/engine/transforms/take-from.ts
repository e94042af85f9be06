import { DataType, makeBuilder, makeData, makeVector, RecordBatch, Struct, type Data, type Schema } from 'apache-arrow';
import { isFixedWidth, takeData } from './take.js';

/**
 * Gathers rows from several chunks of one column into a new column: output row j is row `rows[j]` of
 * `sources[which[j]]`, or NULL when `which[j]` is negative. This is what a join or merge needs: its
 * output interleaves rows of the current batch with rows of the held-back batches of another input,
 * and pads the side an outer join did not match with NULLs. Sources are never touched.
 *
 * Values are copied buffer to buffer, nested types recursively; rare types (large offsets, unions,
 * dictionaries that differ between batches) go through a builder, slower but never wrong.
 */
export function takeFrom(type: DataType, sources: readonly Data[], which: Int32Array, rows: Int32Array): Data {
  const length = which.length;
  const single = singleSource(which);
  if (single >= 0) return takeData(sources[single]!, rows);
  if (DataType.isNull(type)) return makeData({ type, length });

  const { bitmap, nullCount } = validity(sources, which, rows);
  const props = { type, length, nullCount, nullBitmap: nullCount === 0 ? undefined : bitmap } as const;

  if (DataType.isBool(type)) {
    const out = new Uint8Array(bitmapBytes(length));
    for (let j = 0; j < length; j++) {
      const w = which[j]!;
      if (w < 0) continue;
      const s = sources[w]!;
      if (bit(s.values as Uint8Array, s.offset + rows[j]!)) out[j >> 3]! |= 1 << (j & 7);
    }
    return makeData({ ...props, type, data: out });
  }
  if (DataType.isUtf8(type) || DataType.isBinary(type)) {
    const { offsets, bytes } = takeVariable(sources, which, rows);
    return makeData({ ...props, type, valueOffsets: offsets, data: bytes } as never);
  }
  if (isFixedWidth(type)) {
    return makeData({ ...props, type, data: takeFixed(type, sources, which, rows) } as never);
  }
  if (DataType.isList(type) || DataType.isMap(type)) {
    const { offsets, childWhich, childRows } = takeListSlots(sources, which, rows);
    const child = takeFrom(type.children[0]!.type, sources.map((s) => s.children[0]!), childWhich, childRows);
    return makeData({ ...props, type, valueOffsets: offsets, child } as never);
  }
  if (DataType.isFixedSizeList(type)) {
    const size = type.listSize;
    const childWhich = new Int32Array(length * size).fill(-1);
    const childRows = new Int32Array(length * size);
    for (let j = 0; j < length; j++) {
      if (which[j]! < 0) continue;
      for (let c = 0; c < size; c++) {
        childWhich[j * size + c] = which[j]!;
        childRows[j * size + c] = rows[j]! * size + c;
      }
    }
    const child = takeFrom(type.children[0]!.type, sources.map((s) => s.children[0]!), childWhich, childRows);
    return makeData({ ...props, type, child });
  }
  if (DataType.isStruct(type)) {
    const children = type.children.map((f, k) => takeFrom(f.type, sources.map((s) => s.children[k]!), which, rows));
    return makeData({ ...props, type, children });
  }
  if (DataType.isDictionary(type) && sources.every((s) => s.dictionary === sources[0]!.dictionary)) {
    // One shared dictionary (or none to share): its indices are plain integers.
    const dictionary = sources[0]?.dictionary ?? makeVector(takeFrom(type.dictionary, [], new Int32Array(0), new Int32Array(0)));
    const indices = takeFixed(type.indices, sources, which, rows);
    return makeData({ ...props, type, data: indices, dictionary } as never);
  }
  return takeGeneric(type, sources, which, rows);
}

/** List offsets of the output and, per child slot, which source child and row it comes from. */
function takeListSlots(sources: readonly Data[], which: Int32Array, rows: Int32Array): { offsets: Int32Array; childWhich: Int32Array; childRows: Int32Array } {
  const n = which.length;
  const { srcOffsets, offsets, total } = gatherOffsets(sources, which, rows);
  const childWhich = new Int32Array(total);
  const childRows = new Int32Array(total);
  for (let j = 0, slot = 0; j < n; j++) {
    const w = which[j]!;
    if (w < 0) continue;
    const o = srcOffsets[w]!;
    for (let c = o[rows[j]!]!; c < o[rows[j]! + 1]!; c++, slot++) {
      childWhich[slot] = w;
      childRows[slot] = c;
    }
  }
  return { offsets, childWhich, childRows };
}

/** The one source every row comes from (no NULL padding), or -1. */
function singleSource(which: Int32Array): number {
  if (which.length === 0) return -1;
  const first = which[0]!;
  if (first < 0) return -1;
  for (let j = 1; j < which.length; j++) if (which[j] !== first) return -1;
  return first;
}

function bit(bits: Uint8Array, i: number): number {
  return (bits[i >> 3]! >> (i & 7)) & 1;
}

function bitmapBytes(length: number): number {
  return ((length + 63) & ~63) >> 3;
}

function isValid(data: Data, row: number): boolean {
  if (data.nullCount === 0 || !data.nullBitmap || data.nullBitmap.length === 0) return true;
  return bit(data.nullBitmap, data.offset + row) === 1;
}

function validity(sources: readonly Data[], which: Int32Array, rows: Int32Array): { bitmap: Uint8Array; nullCount: number } {
  const bitmap = new Uint8Array(bitmapBytes(which.length));
  let nulls = 0;
  for (let j = 0; j < which.length; j++) {
    const w = which[j]!;
    if (w >= 0 && isValid(sources[w]!, rows[j]!)) bitmap[j >> 3]! |= 1 << (j & 7);
    else nulls++;
  }
  return { bitmap, nullCount: nulls };
}

type Words = Int32Array | Uint16Array | Uint8Array;

function wordsOf(view: ArrayBufferView, unit: number): Words {
  const View = unit === 4 ? Int32Array : unit === 2 ? Uint16Array : Uint8Array;
  return new View(view.buffer as ArrayBuffer, view.byteOffset, view.byteLength / unit);
}

/**
 * Copies each value through an integer view of its bytes (no BigInt per int64, no float round trip);
 * NULL rows stay zero. The element width comes from an empty column of the type, since there may be
 * no source at all (a column that is NULL on every row).
 */
function takeFixed(type: DataType, sources: readonly Data[], which: Int32Array, rows: Int32Array): ArrayBufferView {
  const shape = makeData({ type, length: 0 } as never) as Data;
  const stride = shape.stride;
  const out = new (type.ArrayType as new (n: number) => ArrayBufferView)(which.length * stride);
  const width = (out as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT * stride;
  const unit = width % 4 === 0 ? 4 : width % 2 === 0 ? 2 : 1;
  const k = width / unit;
  const to = wordsOf(out, unit);
  const from = sources.map((s) => wordsOf(s.values as ArrayBufferView, unit));
  for (let j = 0; j < which.length; j++) {
    const w = which[j]!;
    if (w < 0) continue;
    const src = from[w]!;
    const a = rows[j]! * k;
    const b = j * k;
    for (let s = 0; s < k; s++) to[b + s] = src[a + s]!;
  }
  return out;
}

/** The output's int32 offsets for the gathered rows (a NULL row is empty), and the sources' offsets. */
function gatherOffsets(sources: readonly Data[], which: Int32Array, rows: Int32Array): { srcOffsets: Int32Array[]; offsets: Int32Array; total: number } {
  const n = which.length;
  const offsets = new Int32Array(n + 1);
  const srcOffsets = sources.map((s) => s.valueOffsets as Int32Array);
  let total = 0;
  for (let j = 0; j < n; j++) {
    const w = which[j]!;
    if (w >= 0) {
      const o = srcOffsets[w]!;
      const i = rows[j]!;
      total += o[i + 1]! - o[i]!;
    }
    offsets[j + 1] = total;
  }
  return { srcOffsets, offsets, total };
}

function takeVariable(sources: readonly Data[], which: Int32Array, rows: Int32Array): { offsets: Int32Array; bytes: Uint8Array } {
  const n = which.length;
  const { srcOffsets, offsets, total } = gatherOffsets(sources, which, rows);
  const bytes = new Uint8Array(total);
  for (let j = 0; j < n; j++) {
    const w = which[j]!;
    if (w < 0) continue;
    const o = srcOffsets[w]!;
    const i = rows[j]!;
    if (o[i + 1]! > o[i]!) bytes.set((sources[w]!.values as Uint8Array).subarray(o[i]!, o[i + 1]!), offsets[j]!);
  }
  return { offsets, bytes };
}

/** Rare types (large offsets, unions, dictionaries that differ per batch): through a builder, from the values. */
function takeGeneric(type: DataType, sources: readonly Data[], which: Int32Array, rows: Int32Array): Data {
  const vectors = sources.map((s) => makeVector(s));
  const builder = makeBuilder({ type, nullValues: [null, undefined] });
  for (let j = 0; j < which.length; j++) {
    const w = which[j]!;
    builder.append(w < 0 ? null : vectors[w]!.get(rows[j]!));
  }
  return builder.finish().flush();
}

/** A batch of `length` rows from its columns. */
export function batchOf(schema: Schema, length: number, children: Data[]): RecordBatch {
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length, nullCount: 0, children }));
}

/** A zero-row batch with `schema`: how a stream operator tells downstream its columns before data flows. */
export function emptyBatch(schema: Schema): RecordBatch {
  const none = new Int32Array(0);
  return batchOf(schema, 0, schema.fields.map((f) => takeFrom(f.type, [], none, none)));
}
