import test from 'ava';
import { DateDay, Float32, Int16, Int32, Utf8, makeData, makeVector, RecordBatch, vectorFromArray } from 'apache-arrow';
import type { Data } from 'apache-arrow';
import { isSynqxError } from '../../../../src/core/errors.js';
import { CopyDecoder } from '../../../../src/connectors/postgres/copy-decoder.js';
import { CopyEncoder } from '../../../../src/connectors/postgres/copy-encoder.js';
import type { EncodeColumn } from '../../../../src/connectors/postgres/copy-encoder.js';
import { writeInetBinary, writeInetText } from '../../../../src/connectors/postgres/inet-codec.js';
import { NumericParser, writeNumericText } from '../../../../src/connectors/postgres/numeric-codec.js';
import { Kind } from '../../../../src/connectors/postgres/type-map.js';
import { HEADER, TRAILER, columnsFor, copyPayload, copyRows, v } from './copy-fixture.js';

function encodeAll(columns: EncodeColumn[], batches: RecordBatch[], chunkBytes?: number): { bytes: Buffer; chunks: number } {
  const e = new CopyEncoder(columns, { chunkBytes });
  const parts: Buffer[] = [];
  for (const b of batches) e.encode(b, (c) => parts.push(Buffer.from(c)));
  return { bytes: Buffer.concat(parts), chunks: parts.length };
}

function batchOf(children: Record<string, Data>): RecordBatch {
  return new RecordBatch(children);
}

test('writes exactly the bytes PostgreSQL expects, NULLs included', (t) => {
  const batch = batchOf({
    id: vectorFromArray([1, null], new Int32()).data[0]!,
    name: vectorFromArray(['a', 'héllo'], new Utf8()).data[0]!,
  });
  const cols: EncodeColumn[] = [
    { name: 'id', index: 0, kind: Kind.INT4, elemKind: Kind.OTHER, elemOid: 0 },
    { name: 'name', index: 1, kind: Kind.TEXT, elemKind: Kind.OTHER, elemOid: 0 },
  ];
  const e = new CopyEncoder(cols);
  t.true(e.header().equals(HEADER));
  t.true(e.trailer().equals(TRAILER));
  const expected = copyRows([
    [v.int4(1), v.text('a')],
    [null, v.text('héllo')],
  ]);
  t.true(encodeAll(cols, [batch]).bytes.equals(expected));
});

test('numeric text → binary matches numeric_send for edge cases', (t) => {
  const cases: Array<[string, number[], number, number, number]> = [
    ['0', [], 0, 0, 0],
    ['-0.000', [], 0, 0, 3],
    ['1.50', [1, 5000], 0, 0, 2],
    ['10000', [1], 1, 0, 0],
    ['0.0001', [1], -1, 0, 4],
    ['-12345678.9', [1234, 5678, 9000], 1, 0x4000, 1],
    ['1e3', [1000], 0, 0, 0],
    ['1.5E-3', [15], -1, 0, 4],
    ['  7  ', [7], 0, 0, 0],
    ['NaN', [], 0, 0xc000, 0],
    ['Infinity', [], 0, 0xd000, 32],
    ['-inf', [], 0, 0xf000, 32],
    ['000123.4500', [123, 4500], 0, 0, 4],
  ];
  const p = new NumericParser();
  for (const [text, digits, weight, sign, dscale] of cases) {
    const src = Buffer.from(text);
    t.true(p.parse(src, 0, src.length), text);
    const out = Buffer.alloc(p.byteLength());
    p.write(out, 0);
    t.true(out.equals(v.numeric(digits, weight, sign, dscale)), `${text} → ${out.toString('hex')}`);
  }
  for (const bad of ['', '-', '.', '1.2.3', 'abc', '1e', '--1', '-NaN', '1 2']) {
    const src = Buffer.from(bad);
    t.false(p.parse(src, 0, src.length), `"${bad}" is rejected`);
  }
});

test('numeric binary → text → binary is the identity for many values', (t) => {
  const p = new NumericParser();
  let seed = 42;
  const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  const mismatches: string[] = [];
  for (let i = 0; i < 2000; i++) {
    const intDigits = rand(30);
    const fracDigits = rand(25);
    let text = (rand(2) ? '-' : '') + (intDigits === 0 ? '0' : String(1 + rand(9)));
    for (let k = 1; k < intDigits; k++) text += String(rand(10));
    if (fracDigits > 0) text += '.' + Array.from({ length: fracDigits }, () => String(rand(10))).join('');
    const src = Buffer.from(text);
    t.true(p.parse(src, 0, src.length));
    const bin = Buffer.alloc(p.byteLength());
    p.write(bin, 0);
    const back = Buffer.alloc(200);
    const end = writeNumericText(bin, 0, bin.length, back, 0);
    const canonical = /^-0(\.0*)?$/.test(text) ? text.slice(1) : text;
    if (back.toString('latin1', 0, end) !== canonical) mismatches.push(`${text} came back as ${back.toString('latin1', 0, end)}`);
  }
  t.deepEqual(mismatches, []);
});

test('inet text ⇄ binary for IPv4, IPv6 (compressed, embedded IPv4) and cidr', (t) => {
  const cases: Array<[string, boolean, string]> = [
    ['10.1.2.3', false, '10.1.2.3'],
    ['10.0.0.0/8', true, '10.0.0.0/8'],
    ['192.168.0.1/32', true, '192.168.0.1/32'],
    ['::', false, '::'],
    ['::1', false, '::1'],
    ['2001:DB8:0:0:1:0:0:1/64', false, '2001:db8::1:0:0:1/64'],
    ['::ffff:1.2.3.4', false, '::ffff:102:304'],
    ['fe80::1:0:0:2', false, 'fe80::1:0:0:2'],
    ['1:0:0:0:0:0:0:0', false, '1::'],
    ['2001:db8::/32', true, '2001:db8::/32'],
  ];
  for (const [input, cidr, text] of cases) {
    const src = Buffer.from(input);
    const bin = Buffer.alloc(20);
    const end = writeInetBinary(src, 0, src.length, cidr, bin, 0);
    t.true(end > 0, input);
    const out = Buffer.alloc(64);
    const n = writeInetText(bin, 0, end, out, 0);
    t.is(out.toString('latin1', 0, n), text, input);
  }
  for (const bad of ['1.2.3', '1.2.3.256', '1::2::3', '12345::', '1.2.3.4/33', 'x', '::/129', '1:2:3:4:5:6:7:8:9']) {
    const src = Buffer.from(bad);
    t.is(writeInetBinary(src, 0, src.length, false, Buffer.alloc(20), 0), -1, bad);
  }
});

test('a sliced batch encodes the same bytes as the same rows of the whole batch', (t) => {
  const cols = columnsFor([
    { name: 'id', kind: Kind.INT4 },
    { name: 'name', kind: Kind.TEXT },
    { name: 'flag', kind: Kind.BOOL },
    { name: 'tags', kind: Kind.ARRAY, elemKind: Kind.TEXT, elemOid: 25 },
    { name: 'at', kind: Kind.TIMESTAMP },
  ]);
  const rows = Array.from({ length: 20 }, (_, i) => [
    i % 3 === 0 ? null : v.int4(i),
    i % 4 === 0 ? null : v.text('x'.repeat(i)),
    i % 5 === 0 ? null : v.bool(i % 2 === 0),
    i % 6 === 0 ? null : v.array(25, Array.from({ length: i % 4 }, (_, k) => (k === 1 ? null : v.text(`e${k}`)))),
    v.micros(BigInt(i) * 1_000_000n),
  ]);
  const d = new CopyDecoder(cols.schema, cols.decode);
  const [batch] = [...d.push(copyPayload(rows)), ...d.finish()];
  for (const [from, to] of [
    [0, 20],
    [3, 11],
    [7, 8],
    [13, 20],
  ] as const) {
    const sliced = encodeAll(cols.encode, [batch!.slice(from, to)]).bytes;
    t.true(sliced.equals(copyRows(rows.slice(from, to))), `rows ${from}..${to}`);
  }
});

test('output is cut into chunks of about chunk_bytes, rows may straddle them, bytes unchanged', (t) => {
  const cols = columnsFor([
    { name: 'id', kind: Kind.INT4 },
    { name: 'body', kind: Kind.TEXT },
  ]);
  const rows = Array.from({ length: 200 }, (_, i) => [v.int4(i), v.text('y'.repeat((i * 37) % 3000))]);
  const d = new CopyDecoder(cols.schema, cols.decode, { batchRows: 64 });
  const batches = [...d.push(copyPayload(rows)), ...d.finish()];
  const whole = encodeAll(cols.encode, batches);
  const small = encodeAll(cols.encode, batches, 4096);
  t.true(small.bytes.equals(copyRows(rows)));
  t.true(whole.bytes.equals(small.bytes));
  t.true(small.chunks > 60, `${small.chunks} chunks`);
  const e = new CopyEncoder(cols.encode, { chunkBytes: 4096 });
  e.begin(batches[0]!);
  let calls = 0;
  const seen: number[] = [];
  while (e.encodeSome((c) => seen.push(c.length))) calls++;
  t.true(calls > 5, 'encodeSome hands out a chunk at a time');
  t.true(seen.every((n) => n <= 4096 + 3100));
});

test('narrower integers and float32 are widened; anything else is refused with DATA_ERROR', (t) => {
  const batch = batchOf({
    small: vectorFromArray([1, -2, null], new Int32()).data[0]!,
    f: vectorFromArray([1.5, -0.25, null], new Float32()).data[0]!,
  });
  const cols: EncodeColumn[] = [
    { name: 'small', index: 0, kind: Kind.INT8, elemKind: Kind.OTHER, elemOid: 0 },
    { name: 'f', index: 1, kind: Kind.FLOAT8, elemKind: Kind.OTHER, elemOid: 0 },
  ];
  t.true(
    encodeAll(cols, [batch]).bytes.equals(
      copyRows([
        [v.int8(1n), v.float8(1.5)],
        [v.int8(-2n), v.float8(-0.25)],
        [null, null],
      ]),
    ),
  );
  const err = t.throws(() => encodeAll([{ ...cols[0]!, kind: Kind.INT2 }], [batch]));
  t.true(isSynqxError(err) && err.code === 'DATA_ERROR');
  t.regex(err!.message, /cannot write Arrow type Int32/);
});

test('integers widen into floats that hold them exactly, dates into timestamps (midnight UTC, ±infinity kept)', (t) => {
  const day = (y: number, m: number, d: number) => new Date(Date.UTC(y, m - 1, d));
  const batch = batchOf({
    i4: vectorFromArray([2147483647, -3, null], new Int32()).data[0]!,
    i2: vectorFromArray([32767, -3, null], new Int16()).data[0]!,
    d: vectorFromArray([day(2000, 1, 2), day(1969, 12, 31), null], new DateDay()).data[0]!,
    inf: makeData({ type: new DateDay(), length: 3, data: Int32Array.from([2 ** 31 - 1, -(2 ** 31), 0]) }),
  });
  const col = (name: string, index: number, kind: Kind): EncodeColumn => ({ name, index, kind, elemKind: Kind.OTHER, elemOid: 0 });
  const cols = [col('i4', 0, Kind.FLOAT8), col('i2', 1, Kind.FLOAT4), col('d', 2, Kind.TIMESTAMPTZ), col('inf', 3, Kind.TIMESTAMP)];
  const DAY = 86_400_000_000n;
  const INF = 2n ** 63n - 1n;
  t.true(
    encodeAll(cols, [batch]).bytes.equals(
      copyRows([
        [v.float8(2147483647), v.float4(32767), v.micros(DAY), v.micros(INF)],
        [v.float8(-3), v.float4(-3), v.micros(-(10957n + 1n) * DAY), v.micros(-INF - 1n)],
        [null, null, null, v.micros(-10957n * DAY)],
      ]),
    ),
  );
  // int32 does not fit a real exactly, so that is refused.
  const err = t.throws(() => encodeAll([col('i4', 0, Kind.FLOAT4)], [batch]));
  t.true(isSynqxError(err) && err.code === 'DATA_ERROR');
});

test('bad text for numeric/inet columns and out-of-range timestamps fail with DATA_ERROR naming the column', (t) => {
  const text = (values: string[]) => makeVector(vectorFromArray(values, new Utf8()).data[0]!).data[0]!;
  for (const [kind, value, pattern] of [
    [Kind.NUMERIC, '12,5', /"12,5" is not a valid numeric/],
    [Kind.INET, '300.1.1.1', /not a valid inet/],
  ] as const) {
    const err = t.throws(() =>
      encodeAll([{ name: 'c', index: 0, kind, elemKind: Kind.OTHER, elemOid: 0 }], [batchOf({ c: text(['1', value]) })]),
    );
    t.true(isSynqxError(err) && err.code === 'DATA_ERROR');
    t.regex(err!.message, pattern);
    t.regex(err!.message, /column "c"/);
  }
  const cols = columnsFor([{ name: 'at', kind: Kind.TIMESTAMP }]);
  const ts = makeData({ type: cols.schema.fields[0]!.type, length: 1, nullCount: 0, data: BigInt64Array.of(-9223372036854775807n) });
  const err = t.throws(() => encodeAll(cols.encode, [batchOf({ at: ts })]));
  t.true(isSynqxError(err) && err.code === 'DATA_ERROR');
  t.regex(err!.message, /timestamp out of range/);
});
