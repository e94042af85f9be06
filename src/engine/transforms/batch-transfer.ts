import { Data, RecordBatch, Struct, Table, tableFromIPC, tableToIPC, type DataType, type Schema } from 'apache-arrow';
import { SynqxError } from '../../core/errors.js';

/**
 * How a batch crosses to a worker thread and back: its Arrow buffers as they are, not an IPC stream.
 * Buffers the sender owns outright are transferred (moved: no copy, the sender's views go dead);
 * every other buffer is copied once into one new ArrayBuffer, which is then moved. The schema travels
 * as a small IPC schema message, encoded once per Schema object.
 *
 * Arrow IPC (RecordBatchStreamWriter) copies every buffer into message chunks and then concatenates
 * them: two copies per crossing, for every batch, in both directions.
 */
export interface PackedBatch {
  schema: Uint8Array;
  data: PackedData;
  buffers: ArrayBuffer[];
}

interface PackedData {
  offset: number;
  length: number;
  nullCount: number;
  /** valueOffsets, values, nullBitmap, typeIds (Arrow's BufferType order); null when absent. */
  views: (PackedView | null)[];
  children: PackedData[];
}

interface PackedView {
  /** Index into PackedBatch.buffers. */
  b: number;
  byteOffset: number;
  length: number;
  ctor: ViewCtorName;
}

const VIEW_CTORS = {
  Uint8Array,
  Int8Array,
  Uint16Array,
  Int16Array,
  Uint32Array,
  Int32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
} as const;
type ViewCtorName = keyof typeof VIEW_CTORS;
type View = InstanceType<(typeof VIEW_CTORS)[ViewCtorName]>;

const schemaBytes = new WeakMap<Schema, Uint8Array>();

function encodeSchema(schema: Schema): Uint8Array {
  let bytes = schemaBytes.get(schema);
  if (!bytes) {
    bytes = tableToIPC(new Table(schema), 'stream');
    schemaBytes.set(schema, bytes);
  }
  return bytes;
}

const decodedSchemas = new Map<string, Schema>();

function decodeSchema(bytes: Uint8Array): Schema {
  const key = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  let schema = decodedSchemas.get(key);
  if (!schema) {
    schema = tableFromIPC(bytes).schema;
    // Bounded: a long-lived worker sees the schemas of many runs.
    if (decodedSchemas.size >= 256) decodedSchemas.delete(decodedSchemas.keys().next().value!);
    decodedSchemas.set(key, schema);
  }
  return schema;
}

/**
 * Packs a batch. `movable(buffer)` says which ArrayBuffers may be moved: only ones no other live object
 * uses (the caller's knowledge). The rest are copied. Returns the transfer list with the message.
 */
export function packBatch(batch: RecordBatch, movable: (buffer: ArrayBuffer) => boolean = () => false): PackedBatch {
  const moved = new Map<ArrayBuffer, number>();
  const buffers: ArrayBuffer[] = [];
  const copies: { view: View; target: PackedView }[] = [];
  let copyBytes = 0;
  const packView = (view: View | undefined): PackedView | null => {
    if (!view) return null;
    const ctor = view.constructor.name as ViewCtorName;
    if (!(ctor in VIEW_CTORS)) throw new SynqxError('INTERNAL', `cannot transfer an Arrow buffer of type ${ctor}`);
    const ab = view.buffer;
    if (ab instanceof ArrayBuffer && ab.byteLength > 0 && movable(ab)) {
      let b = moved.get(ab);
      if (b === undefined) {
        b = buffers.push(ab) - 1;
        moved.set(ab, b);
      }
      return { b, byteOffset: view.byteOffset, length: view.length, ctor };
    }
    // Copied: 8-byte aligned inside the shared copy buffer, so every typed array view is valid.
    const target: PackedView = { b: -1, byteOffset: copyBytes, length: view.length, ctor };
    copies.push({ view, target });
    copyBytes += (view.byteLength + 7) & ~7;
    return target;
  };
  const packData = (d: Data): PackedData => {
    if (d.dictionary) throw new SynqxError('INTERNAL', 'dictionary-encoded columns cannot cross to a worker thread');
    return {
      offset: d.offset,
      length: d.length,
      nullCount: d.nullCount,
      views: [d.valueOffsets, d.values, d.nullBitmap, d.typeIds].map((v) => packView(v as View | undefined)),
      children: d.children.map(packData),
    };
  };
  const data = packData(batch.data);
  if (copies.length > 0) {
    const copy = new ArrayBuffer(copyBytes);
    const bytes = new Uint8Array(copy);
    const b = buffers.push(copy) - 1;
    for (const { view, target } of copies) {
      bytes.set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength), target.byteOffset);
      target.b = b;
    }
  }
  return { schema: encodeSchema(batch.schema), data, buffers };
}

/** Rebuilds a packed batch over the received buffers (no copy). */
export function unpackBatch(packed: PackedBatch): RecordBatch {
  const schema = decodeSchema(packed.schema);
  const view = (v: PackedView | null): View | undefined => (v ? new VIEW_CTORS[v.ctor](packed.buffers[v.b]!, v.byteOffset, v.length) : undefined);
  const unpack = (p: PackedData, type: DataType): Data =>
    new Data(
      type,
      p.offset,
      p.length,
      p.nullCount,
      p.views.map(view) as never,
      p.children.map((c, i) => unpack(c, type.children[i]!.type)),
    );
  return new RecordBatch(schema, unpack(packed.data, new Struct(schema.fields)) as Data<Struct>);
}
