import { Field, Schema } from 'apache-arrow';
import { Kind, arrowTypeForKind } from '../../../../src/connectors/postgres/type-map.js';
import type { DecodeColumn } from '../../../../src/connectors/postgres/copy-decoder.js';
import type { EncodeColumn } from '../../../../src/connectors/postgres/copy-encoder.js';

/** Hand-built binary COPY values, written the way PostgreSQL's *send functions write them. */
export const v = {
  int2: (x: number) => be(2, (b) => b.writeInt16BE(x)),
  int4: (x: number) => be(4, (b) => b.writeInt32BE(x)),
  int8: (x: bigint) => be(8, (b) => b.writeBigInt64BE(x)),
  float4: (x: number) => be(4, (b) => b.writeFloatBE(x)),
  float8: (x: number) => be(8, (b) => b.writeDoubleBE(x)),
  bool: (x: boolean) => Buffer.from([x ? 1 : 0]),
  text: (s: string) => Buffer.from(s, 'utf8'),
  jsonb: (s: string) => Buffer.concat([Buffer.from([1]), Buffer.from(s, 'utf8')]),
  bytes: (hex: string) => Buffer.from(hex, 'hex'),
  /** Days since 2000-01-01. */
  date: (days: number) => be(4, (b) => b.writeInt32BE(days)),
  /** µs since 2000-01-01 (timestamp) or since midnight (time). */
  micros: (x: bigint) => be(8, (b) => b.writeBigInt64BE(x)),
  timetz: (micros: bigint, zoneWestSeconds: number) =>
    be(12, (b) => {
      b.writeBigInt64BE(micros);
      b.writeInt32BE(zoneWestSeconds, 8);
    }),
  interval: (micros: bigint, days: number, months: number) =>
    be(16, (b) => {
      b.writeBigInt64BE(micros);
      b.writeInt32BE(days, 8);
      b.writeInt32BE(months, 12);
    }),
  numeric: (digits: number[], weight: number, sign: number, dscale: number) =>
    be(8 + digits.length * 2, (b) => {
      b.writeInt16BE(digits.length);
      b.writeInt16BE(weight, 2);
      b.writeUInt16BE(sign, 4);
      b.writeUInt16BE(dscale, 6);
      digits.forEach((d, i) => b.writeUInt16BE(d, 8 + i * 2));
    }),
  inet: (family: 2 | 3, bits: number, isCidr: boolean, addr: number[]) => Buffer.from([family, bits, isCidr ? 1 : 0, addr.length, ...addr]),
  /** A one-dimensional array (lower bound 1), or an empty array when `items` is empty. */
  array: (elemOid: number, items: Array<Buffer | null>) => {
    if (items.length === 0) return be(12, (b) => b.writeInt32BE(elemOid, 8));
    const head = be(20, (b) => {
      b.writeInt32BE(1);
      b.writeInt32BE(items.some((x) => x === null) ? 1 : 0, 4);
      b.writeInt32BE(elemOid, 8);
      b.writeInt32BE(items.length, 12);
      b.writeInt32BE(1, 16);
    });
    return Buffer.concat([head, ...items.map(field)]);
  },
};

function be(n: number, fill: (b: Buffer) => void): Buffer {
  const b = Buffer.alloc(n);
  fill(b);
  return b;
}

function field(value: Buffer | null): Buffer {
  if (value === null) return be(4, (b) => b.writeInt32BE(-1));
  return Buffer.concat([be(4, (b) => b.writeInt32BE(value.length)), value]);
}

export const HEADER = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
export const TRAILER = Buffer.from([0xff, 0xff]);

/** Rows (without header and trailer). */
export function copyRows(rows: Array<Array<Buffer | null>>): Buffer {
  return Buffer.concat(rows.map((r) => Buffer.concat([be(2, (b) => b.writeInt16BE(r.length)), ...r.map(field)])));
}

export function copyPayload(rows: Array<Array<Buffer | null>>): Buffer {
  return Buffer.concat([HEADER, copyRows(rows), TRAILER]);
}

export interface FixtureColumn {
  name: string;
  kind: Kind;
  elemKind?: Kind;
  elemOid?: number;
}

export function columnsFor(cols: FixtureColumn[]): { schema: Schema; decode: DecodeColumn[]; encode: EncodeColumn[] } {
  const schema = new Schema(cols.map((c) => new Field(c.name, arrowTypeForKind(c.kind, c.elemKind ?? Kind.OTHER), true)));
  const decode = cols.map((c) => ({ kind: c.kind, elemKind: c.elemKind ?? Kind.OTHER }));
  const encode = cols.map((c, index) => ({ name: c.name, index, kind: c.kind, elemKind: c.elemKind ?? Kind.OTHER, elemOid: c.elemOid ?? 0 }));
  return { schema, decode, encode };
}
