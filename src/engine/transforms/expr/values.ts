import { DataType, TimeUnit, DateUnit, type Data, type Field } from 'apache-arrow';
import { FIELD_META_PG_TYPE } from '../../../core/data-ports.js';

/**
 * Column-at-a-time values the evaluator works on. A vector holds one entry per row plus a validity
 * array (one byte per row, 1 = not NULL; `null` means no NULLs); a scalar is a literal or a folded constant.
 * Numbers are float64 except int64 columns, kept exact so `id = 9007199254740993` compares correctly.
 * Timestamps and dates become microseconds since the epoch (float64: exact within ±285 years of 1970).
 */
export type ValueType = 'bool' | 'num' | 'int64' | 'str' | 'time' | 'null';

export type Validity = Uint8Array | null;

export interface StrValues {
  get(i: number): string;
  /** Raw UTF-8, when the strings came straight from an Arrow Utf8 column (used for fast equality). */
  utf8?: { data: Uint8Array; offsets: Int32Array };
}

export type Vec =
  | { s: false; type: 'bool'; values: Uint8Array; valid: Validity }
  | { s: false; type: 'num' | 'time'; values: Float64Array; valid: Validity }
  | { s: false; type: 'int64'; values: BigInt64Array; valid: Validity }
  | { s: false; type: 'str'; values: StrValues; valid: Validity }
  | { s: false; type: 'null' };

export type Scalar =
  | { s: true; type: 'bool'; value: boolean | null }
  | { s: true; type: 'num' | 'time'; value: number | null; /** exact integer literal */ big?: bigint }
  | { s: true; type: 'int64'; value: bigint | null }
  | { s: true; type: 'str'; value: string | null }
  | { s: true; type: 'null'; value: null };

export type Val = Vec | Scalar;

/** Microseconds in a day: a date's value in the evaluator is its midnight in epoch microseconds. */
export const DAY_MICROS = 86_400_000_000;

export const NULL_SCALAR: Scalar = { s: true, type: 'null', value: null };

export const TYPE_NAMES: Record<ValueType, string> = {
  bool: 'boolean',
  num: 'number',
  int64: 'number',
  str: 'text',
  time: 'timestamp',
  null: 'null',
};

export function isNumeric(t: ValueType): boolean {
  return t === 'num' || t === 'int64';
}

/** Which evaluator type an Arrow field becomes; undefined when expressions cannot read it (yet). */
export function valueTypeOf(field: Field): ValueType | undefined {
  const t = field.type;
  if (DataType.isBool(t)) return 'bool';
  if (DataType.isInt(t)) return t.bitWidth === 64 && t.isSigned ? 'int64' : 'num';
  if (DataType.isFloat(t) || DataType.isDecimal(t)) return 'num';
  if (DataType.isUtf8(t) || DataType.isLargeUtf8(t)) {
    // Postgres numeric travels as exact text; compare it as a number.
    const pg = field.metadata.get(FIELD_META_PG_TYPE);
    return pg !== undefined && /^numeric\b/i.test(pg) ? 'num' : 'str';
  }
  if (DataType.isDictionary(t) && (DataType.isUtf8(t.dictionary) || DataType.isLargeUtf8(t.dictionary))) return 'str';
  if (DataType.isTimestamp(t) || DataType.isDate(t)) return 'time';
  if (DataType.isNull(t)) return 'null';
  return undefined;
}

export function readValidity(data: Data): Validity {
  if (data.nullCount === 0 || !data.nullBitmap || data.nullBitmap.length === 0) {
    if (data.typeId === 1 /* Null */) return new Uint8Array(data.length);
    return null;
  }
  const bits = data.nullBitmap;
  const out = new Uint8Array(data.length);
  const off = data.offset;
  for (let i = 0; i < data.length; i++) {
    const b = off + i;
    out[i] = (bits[b >> 3]! >> (b & 7)) & 1;
  }
  return out;
}

/** Reads one Arrow column as an evaluator vector (copies only where the representation differs). */
export function readColumn(field: Field, data: Data, type: ValueType): Vec {
  const valid = readValidity(data);
  const n = data.length;
  const t = data.type;
  switch (type) {
    case 'null':
      return { s: false, type: 'null' };
    case 'bool': {
      const values = new Uint8Array(n);
      const bits = data.values as Uint8Array;
      for (let i = 0; i < n; i++) {
        const b = data.offset + i;
        values[i] = (bits[b >> 3]! >> (b & 7)) & 1;
      }
      return { s: false, type: 'bool', values, valid };
    }
    case 'int64':
      return { s: false, type: 'int64', values: data.values as BigInt64Array, valid };
    case 'num': {
      if (DataType.isUtf8(t) || DataType.isLargeUtf8(t)) {
        const strs = utf8Values(data);
        const values = new Float64Array(n);
        for (let i = 0; i < n; i++) values[i] = valid && !valid[i] ? 0 : Number(strs.get(i));
        return { s: false, type: 'num', values, valid };
      }
      if (DataType.isDecimal(t)) return { s: false, type: 'num', values: decimalToFloat(data.values as Uint32Array, n, t.bitWidth, t.scale), valid };
      if (DataType.isFloat(t) && t.precision === 0 /* HALF */) {
        const values = new Float64Array(n);
        for (let i = 0; i < n; i++) values[i] = halfToFloat((data.values as Uint16Array)[i]!);
        return { s: false, type: 'num', values, valid };
      }
      const src = data.values as Float64Array | Int32Array | BigUint64Array;
      if (src instanceof Float64Array) return { s: false, type: 'num', values: src.length === n ? src : src.subarray(0, n), valid };
      const values = new Float64Array(n);
      for (let i = 0; i < n; i++) values[i] = Number(src[i]!);
      return { s: false, type: 'num', values, valid };
    }
    case 'time':
      return { s: false, type: 'time', values: temporalToMicros(data, n), valid };
    case 'str': {
      if (DataType.isDictionary(t)) {
        const dict = data.dictionary!.data[0]!;
        const words = utf8Values(dict);
        const idx = data.values as ArrayLike<number | bigint>;
        return { s: false, type: 'str', values: { get: (i) => words.get(Number(idx[i]!)) }, valid };
      }
      return { s: false, type: 'str', values: utf8Values(data), valid };
    }
  }
}

function utf8Values(data: Data): StrValues {
  const bytes = data.values as Uint8Array;
  const raw = data.valueOffsets as Int32Array | BigInt64Array;
  const offsets = raw instanceof BigInt64Array ? Int32Array.from(raw, (v) => Number(v)) : raw;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let cache: (string | undefined)[] | undefined;
  return {
    utf8: { data: bytes, offsets },
    get(i: number): string {
      cache ??= new Array<string | undefined>(offsets.length - 1);
      return (cache[i] ??= buf.toString('utf8', offsets[i]!, offsets[i + 1]!));
    },
  };
}

function temporalToMicros(data: Data, n: number): Float64Array {
  const t = data.type;
  const out = new Float64Array(n);
  const src = data.values as Int32Array | BigInt64Array;
  let perUnit = 1;
  if (DataType.isDate(t)) perUnit = t.unit === DateUnit.DAY ? DAY_MICROS : 1000;
  else if (DataType.isTimestamp(t)) {
    perUnit = t.unit === TimeUnit.SECOND ? 1e6 : t.unit === TimeUnit.MILLISECOND ? 1000 : t.unit === TimeUnit.MICROSECOND ? 1 : 0.001;
  }
  for (let i = 0; i < n; i++) out[i] = Number(src[i]!) * perUnit;
  return out;
}

function decimalToFloat(words: Uint32Array, n: number, bitWidth: number, scale: number): Float64Array {
  const stride = bitWidth / 32;
  const out = new Float64Array(n);
  const div = 10 ** scale;
  for (let i = 0; i < n; i++) {
    let v = 0n;
    for (let w = stride - 1; w >= 0; w--) v = (v << 32n) | BigInt(words[i * stride + w]!);
    v = BigInt.asIntN(bitWidth, v);
    out[i] = Number(v) / div;
  }
  return out;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

const TIMESTAMP_LITERAL =
  /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** `'2024-01-31'`, `'2024-01-31 12:00:00.5+02'` → microseconds since the epoch; no zone means UTC. */
export function parseTimestampLiteral(text: string): number | undefined {
  const m = TIMESTAMP_LITERAL.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', sec = '0', frac = '', zone] = m;
  const date = new Date(0);
  date.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  date.setUTCHours(Number(h), Number(mi), Number(sec), 0);
  // Date rolls impossible dates over ('2024-13-01' → 2025-01-01); Postgres refuses them.
  if (Number.isNaN(date.getTime()) || date.getUTCDate() !== Number(d) || date.getUTCMonth() !== Number(mo) - 1) return undefined;
  // As Postgres: 24:00:00 is the next midnight and :60 a leap second (both roll over); nothing beyond.
  const [hh, mm, ss] = [Number(h), Number(mi), Number(sec)];
  if (hh > 24 || mm > 59 || ss > 60 || (hh === 24 && (mm > 0 || ss > 0 || Number(frac || '0') > 0))) return undefined;
  let micros = date.getTime() * 1000 + Number(frac.padEnd(6, '0'));
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const offsetMinutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0');
    micros -= sign * offsetMinutes * 60_000_000;
  }
  return micros;
}
