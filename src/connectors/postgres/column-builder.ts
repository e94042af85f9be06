import { makeData } from 'apache-arrow';
import type { Data, DataType, List, Struct } from 'apache-arrow';
import { Kind } from './type-map.js';

const EMPTY_I32 = new Int32Array(0);
const EMPTY_I16 = new Int16Array(0);
const EMPTY_U8 = new Uint8Array(0);

/**
 * Growable typed-array storage of one column of a batch being decoded. One class for every kind
 * so the decoder's hot loop sees a single object shape; unused arrays stay empty.
 *
 * Storage by kind (64-bit values are written as two int32 halves, little-endian, into `i32`):
 * INT2 → i16; INT4/DATE/FLOAT4 → i32; INT8/FLOAT8/TIME/TIMESTAMP* → i32 (2 per row);
 * TIMETZ → i32 (time, 2 per row) + i32b (offset); INTERVAL → i32 (micros, 2 per row) + i32b (days) + i32c (months);
 * BOOL → bytes (bits); UUID → bytes (16 per row); variable width → offsets + bytes; ARRAY → offsets + child.
 */
export class ColumnBuilder {
  readonly kind: Kind;
  readonly type: DataType;
  length = 0;
  nullCount = 0;
  cap = 0;
  validity: Uint8Array = EMPTY_U8;
  i32: Int32Array = EMPTY_I32;
  i32b: Int32Array = EMPTY_I32;
  i32c: Int32Array = EMPTY_I32;
  i16: Int16Array = EMPTY_I16;
  bytes: Uint8Array = EMPTY_U8;
  offsets: Int32Array = EMPTY_I32;
  /** Bytes used in `bytes` by variable-width kinds. */
  dataLen = 0;
  readonly child: ColumnBuilder | null;

  constructor(kind: Kind, type: DataType, elemKind: Kind, rowCap: number, byteCap: number) {
    this.kind = kind;
    this.type = type;
    this.child =
      kind === Kind.ARRAY ? new ColumnBuilder(elemKind, (type as List).children[0]!.type, Kind.OTHER, rowCap * 2, byteCap) : null;
    this.growRows(Math.max(rowCap, 8));
    if (isVarWidth(kind)) this.bytes = new Uint8Array(Math.max(byteCap, 64));
  }

  /** Makes room for row index `cap` (at least `min` rows). */
  growRows(min: number): void {
    let cap = Math.max(min, this.cap * 2);
    cap = (cap + 7) & ~7;
    const k = this.kind;
    this.validity = grow8(this.validity, cap >> 3);
    switch (k) {
      case Kind.INT2:
        this.i16 = grow16(this.i16, cap);
        break;
      case Kind.INT4:
      case Kind.DATE:
      case Kind.FLOAT4:
        this.i32 = grow32(this.i32, cap);
        break;
      case Kind.INT8:
      case Kind.FLOAT8:
      case Kind.TIME:
      case Kind.TIMESTAMP:
      case Kind.TIMESTAMPTZ:
        this.i32 = grow32(this.i32, cap * 2);
        break;
      case Kind.TIMETZ:
        this.i32 = grow32(this.i32, cap * 2);
        this.i32b = grow32(this.i32b, cap);
        break;
      case Kind.INTERVAL:
        this.i32 = grow32(this.i32, cap * 2);
        this.i32b = grow32(this.i32b, cap);
        this.i32c = grow32(this.i32c, cap);
        break;
      case Kind.BOOL:
        this.bytes = grow8(this.bytes, cap >> 3);
        break;
      case Kind.UUID:
        this.bytes = grow8(this.bytes, cap * 16);
        break;
      default:
        this.offsets = grow32(this.offsets, cap + 1);
    }
    this.cap = cap;
  }

  /** Makes room for `n` more bytes of variable-width data. */
  growBytes(n: number): void {
    const need = this.dataLen + n;
    if (need <= this.bytes.length) return;
    if (need > 0x7fffffff) throw new RangeError('a batch column exceeds 2 GiB; lower batch_bytes');
    const next = new Uint8Array(Math.min(0x7fffffff, Math.max(need, this.bytes.length * 2)));
    next.set(this.bytes.subarray(0, this.dataLen));
    this.bytes = next;
  }

  appendNull(): void {
    const i = this.length;
    if (i === this.cap) this.growRows(i + 1);
    if (this.offsets.length > 0) this.offsets[i + 1] = this.offsets[i]!;
    this.nullCount++;
    this.length = i + 1;
  }

  /** Arrow Data of the rows appended so far; buffers are trimmed when mostly unused. */
  finish(): Data {
    const n = this.length;
    const type = this.type;
    const nullCount = this.nullCount;
    const nullBitmap = nullCount > 0 ? trim(this.validity, (n + 7) >> 3) : undefined;
    const base = { type, length: n, nullCount, nullBitmap } as { type: DataType; length: number; nullCount: number; nullBitmap?: Uint8Array };
    const k = this.kind;
    switch (k) {
      case Kind.INT2:
        return makeData({ ...base, data: trim(this.i16, n) } as never);
      case Kind.INT4:
      case Kind.DATE:
        return makeData({ ...base, data: trim(this.i32, n) } as never);
      case Kind.FLOAT4: {
        const t = trim(this.i32, n);
        return makeData({ ...base, data: new Float32Array(t.buffer, t.byteOffset, n) } as never);
      }
      case Kind.FLOAT8: {
        const t = trim(this.i32, n * 2);
        return makeData({ ...base, data: new Float64Array(t.buffer, t.byteOffset, n) } as never);
      }
      case Kind.INT8:
      case Kind.TIME:
      case Kind.TIMESTAMP:
      case Kind.TIMESTAMPTZ:
        return makeData({ ...base, data: asBigInt64(this.i32, n) } as never);
      case Kind.BOOL:
        return makeData({ ...base, data: trim(this.bytes, (n + 7) >> 3) } as never);
      case Kind.UUID:
        return makeData({ ...base, data: trim(this.bytes, n * 16) } as never);
      case Kind.TIMETZ: {
        const [timeF, offF] = (type as Struct).children;
        const children = [
          makeData({ type: timeF!.type, length: n, nullCount: 0, data: asBigInt64(this.i32, n) } as never),
          makeData({ type: offF!.type, length: n, nullCount: 0, data: trim(this.i32b, n) } as never),
        ];
        return makeData({ ...base, children } as never);
      }
      case Kind.INTERVAL: {
        const [monthsF, daysF, microsF] = (type as Struct).children;
        const children = [
          makeData({ type: monthsF!.type, length: n, nullCount: 0, data: trim(this.i32c, n) } as never),
          makeData({ type: daysF!.type, length: n, nullCount: 0, data: trim(this.i32b, n) } as never),
          makeData({ type: microsF!.type, length: n, nullCount: 0, data: asBigInt64(this.i32, n) } as never),
        ];
        return makeData({ ...base, children } as never);
      }
      case Kind.ARRAY:
        return makeData({ ...base, valueOffsets: trim(this.offsets, n + 1), child: this.child!.finish() } as never);
      default:
        return makeData({ ...base, valueOffsets: trim(this.offsets, n + 1), data: trim(this.bytes, this.dataLen) } as never);
    }
  }
}

export function isVarWidth(kind: Kind): boolean {
  return (
    kind === Kind.TEXT ||
    kind === Kind.NUMERIC ||
    kind === Kind.JSONB ||
    kind === Kind.BYTEA ||
    kind === Kind.INET ||
    kind === Kind.CIDR ||
    kind === Kind.OTHER
  );
}

function asBigInt64(i32: Int32Array, n: number): BigInt64Array {
  const t = trim(i32, n * 2);
  return new BigInt64Array(t.buffer, t.byteOffset, n);
}

/** A view of the first `n` elements; copied when the view would pin a mostly empty buffer. */
function trim<T extends Int32Array | Int16Array | Uint8Array>(a: T, n: number): T {
  if (n * 2 < a.length && a.length > 4096) return a.slice(0, n) as T;
  return a.subarray(0, n) as T;
}

function grow8(a: Uint8Array, n: number): Uint8Array {
  if (a.length >= n) return a;
  const b = new Uint8Array(n);
  b.set(a);
  return b;
}
function grow16(a: Int16Array, n: number): Int16Array {
  if (a.length >= n) return a;
  const b = new Int16Array(n);
  b.set(a);
  return b;
}
function grow32(a: Int32Array, n: number): Int32Array {
  if (a.length >= n) return a;
  const b = new Int32Array(n);
  b.set(a);
  return b;
}
