import test from 'ava';
import type { RecordBatch } from 'apache-arrow';
import { isSynqxError } from '../../../../src/core/errors.js';
import { CopyDecoder } from '../../../../src/connectors/postgres/copy-decoder.js';
import { CopyEncoder } from '../../../../src/connectors/postgres/copy-encoder.js';
import { rawCopyOf } from '../../../../src/connectors/postgres/raw-copy.js';
import { Kind } from '../../../../src/connectors/postgres/type-map.js';
import { HEADER, TRAILER, columnsFor, copyPayload, copyRows, v } from './copy-fixture.js';

const COLUMNS = columnsFor([
  { name: 'id', kind: Kind.INT4 },
  { name: 'name', kind: Kind.TEXT },
  { name: 'big', kind: Kind.INT8 },
  { name: 'flag', kind: Kind.BOOL },
  { name: 'ratio', kind: Kind.FLOAT8 },
  { name: 'amount', kind: Kind.NUMERIC },
  { name: 'day', kind: Kind.DATE },
  { name: 'at', kind: Kind.TIMESTAMPTZ },
  { name: 'tags', kind: Kind.ARRAY, elemKind: Kind.INT4, elemOid: 23 },
  { name: 'labels', kind: Kind.ARRAY, elemKind: Kind.TEXT, elemOid: 25 },
  { name: 'u', kind: Kind.UUID },
  { name: 'doc', kind: Kind.JSONB },
  { name: 'span', kind: Kind.INTERVAL },
  { name: 'tz', kind: Kind.TIMETZ },
  { name: 'ip', kind: Kind.INET },
  { name: 'f4', kind: Kind.FLOAT4 },
  { name: 's', kind: Kind.INT2 },
  { name: 'raw', kind: Kind.BYTEA },
  { name: 't', kind: Kind.TIME },
]);

const ROWS = [
  [
    v.int4(1),
    v.text('héllo 😀\t"x"\n\\'),
    v.int8(9223372036854775807n),
    v.bool(true),
    v.float8(NaN),
    v.numeric([12, 5000], 0, 0, 2),
    v.date(0),
    v.micros(0n),
    v.array(23, [v.int4(1), null, v.int4(3)]),
    v.array(25, [v.text('a'), v.text('')]),
    v.bytes('00112233445566778899aabbccddeeff'),
    v.jsonb('{"a": 1}'),
    v.interval(1n, 2, 3),
    v.timetz(43_200_000_000n, -19800),
    v.inet(2, 24, false, [192, 168, 0, 1]),
    v.float4(-Infinity),
    v.int2(-5),
    v.bytes('00ff'),
    v.micros(86_400_000_000n),
  ],
  [v.int4(2), ...new Array<null>(18).fill(null)],
  [
    v.int4(3),
    v.text(''),
    v.int8(-1n),
    v.bool(false),
    v.float8(-0),
    v.numeric([], 0, 0xc000, 0),
    v.date(0x7fffffff),
    v.micros(-9223372036854775808n),
    v.array(23, []),
    v.array(25, [null]),
    v.bytes('ffffffffffffffffffffffffffffffff'),
    v.jsonb('[]'),
    v.interval(-1n, -2, -3),
    v.timetz(0n, 0),
    v.inet(3, 128, false, [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
    v.float4(1.5),
    v.int2(32767),
    v.bytes(''),
    v.micros(0n),
  ],
];
const PAYLOAD = copyPayload(ROWS);

function decodeChunks(chunks: Uint8Array[], batchRows = 65536, batchBytes?: number): RecordBatch[] {
  const d = new CopyDecoder(COLUMNS.schema, COLUMNS.decode, { batchRows, batchBytes });
  const out: RecordBatch[] = [];
  for (const c of chunks) out.push(...d.push(c));
  out.push(...d.finish());
  return out;
}

function reencode(batches: RecordBatch[]): Buffer {
  const e = new CopyEncoder(COLUMNS.encode);
  const parts: Uint8Array[] = [e.header()];
  for (const b of batches) e.encode(b, (c) => parts.push(Buffer.from(c)));
  parts.push(e.trailer());
  return Buffer.concat(parts);
}

test('decodes every kind into the documented Arrow values', (t) => {
  const [batch] = decodeChunks([PAYLOAD]);
  t.is(batch!.numRows, 3);
  const col = (name: string) => batch!.getChild(name)!;
  t.deepEqual(col('id').toJSON(), [1, 2, 3]);
  t.deepEqual(col('name').toJSON(), ['héllo 😀\t"x"\n\\', null, '']);
  t.deepEqual(col('big').toJSON(), [9223372036854775807n, null, -1n]);
  t.deepEqual(col('flag').toJSON(), [true, null, false]);
  t.true(Number.isNaN(col('ratio').get(0)));
  t.true(Object.is(col('ratio').get(2), -0));
  t.deepEqual(col('amount').toJSON(), ['12.50', null, 'NaN']);
  const days = col('day').data[0]!.values as Int32Array;
  t.is(days[0], 10957, 'PG 2000-01-01 is Unix day 10957');
  t.is(days[2], 0x7fffffff, 'infinity stays INT32_MAX');
  const ts = col('at').data[0]!.values as BigInt64Array;
  t.is(ts[0], 946684800000000n);
  t.is(ts[2], -9223372036854775808n, '-infinity stays INT64_MIN');
  t.deepEqual([...col('tags').get(0)!], [1, null, 3]);
  t.is(col('tags').get(1), null);
  t.deepEqual([...col('tags').get(2)!], []);
  t.deepEqual([...col('labels').get(0)!], ['a', '']);
  t.deepEqual([...col('labels').get(2)!], [null]);
  t.is(Buffer.from(col('u').get(0)!).toString('hex'), '00112233445566778899aabbccddeeff');
  t.deepEqual(col('doc').toJSON(), ['{"a": 1}', null, '[]']);
  const span = col('span').data[0]!.children;
  t.deepEqual([...(span[0]!.values as Int32Array)], [3, 0, -3], 'months');
  t.deepEqual([...(span[1]!.values as Int32Array)], [2, 0, -2], 'days');
  t.deepEqual([...(span[2]!.values as BigInt64Array)], [1n, 0n, -1n], 'micros');
  const tz = col('tz').data[0]!.children;
  t.is((tz[0]!.values as BigInt64Array)[0], 43_200_000_000n);
  t.is((tz[1]!.values as Int32Array)[0], 19800, 'zone kept east-positive (+05:30)');
  t.deepEqual(col('ip').toJSON(), ['192.168.0.1/24', null, '2001:db8::1']);
  t.deepEqual(col('f4').toJSON(), [-Infinity, null, 1.5]);
  t.deepEqual(col('s').toJSON(), [-5, null, 32767]);
  t.is(Buffer.from(col('raw').get(0)!).toString('hex'), '00ff');
  t.is(col('raw').get(2)!.length, 0);
  t.deepEqual([...(col('t').data[0]!.values as BigInt64Array)], [86_400_000_000n, 0n, 0n]);
  t.is(col('id').nullCount, 0);
  t.is(col('name').nullCount, 1);
  t.true(reencode([batch!]).equals(PAYLOAD), 'encoding the batch gives the payload back');
});

test('rows split across two chunks at every byte position decode identically', (t) => {
  for (let cut = 1; cut < PAYLOAD.length; cut++) {
    const batches = decodeChunks([PAYLOAD.subarray(0, cut), PAYLOAD.subarray(cut)], 2);
    t.deepEqual(
      batches.map((b) => b.numRows),
      [2, 1],
      `cut at ${cut}`,
    );
    if (!reencode(batches).equals(PAYLOAD)) t.fail(`cut at byte ${cut} changed the data`);
  }
});

test('a payload fed one byte at a time, and in three random pieces, decodes identically', (t) => {
  const bytes = [...PAYLOAD].map((b) => Uint8Array.of(b));
  t.true(reencode(decodeChunks(bytes)).equals(PAYLOAD));
  let seed = 7;
  const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  for (let i = 0; i < 300; i++) {
    const a = 1 + rand(PAYLOAD.length - 2);
    const b = a + 1 + rand(PAYLOAD.length - a - 1);
    const batches = decodeChunks([PAYLOAD.subarray(0, a), PAYLOAD.subarray(a, b), PAYLOAD.subarray(b)], 1 + rand(3));
    if (!reencode(batches).equals(PAYLOAD)) t.fail(`pieces ${a}/${b} changed the data`);
  }
});

test('batches close at batch_rows and at batch_bytes', (t) => {
  const many = copyPayload(Array.from({ length: 10 }, () => ROWS[0]!));
  t.deepEqual(
    decodeChunks([many], 4).map((b) => b.numRows),
    [4, 4, 2],
  );
  const rowBytes = copyRows([ROWS[0]!]).length;
  t.deepEqual(
    decodeChunks([many], 100, rowBytes * 3).map((b) => b.numRows),
    [3, 3, 3, 1],
  );
});

test('an empty COPY gives no batches; a header extension is skipped', (t) => {
  t.deepEqual(decodeChunks([copyPayload([])]), []);
  const ext = Buffer.concat([HEADER.subarray(0, 15), Buffer.from([0, 0, 0, 3, 9, 9, 9]), copyRows([ROWS[1]!]), TRAILER]);
  const batches = decodeChunks([ext.subarray(0, 17), ext.subarray(17)]);
  t.is(batches[0]!.getChild('id')!.get(0), 2);
});

test('malformed streams fail with DATA_ERROR', (t) => {
  const cases: Array<[string, Uint8Array[], RegExp]> = [
    ['bad signature', [Buffer.from('PGCOPX\n\xff\r\n\0\0\0\0\0\0\0\0\0', 'latin1')], /signature/],
    ['OIDs', [Buffer.concat([HEADER.subarray(0, 11), Buffer.from([0, 1, 0, 0, 0, 0, 0, 0])])], /OIDs/],
    ['field count', [Buffer.concat([HEADER, copyRows([[v.int4(1)]]), TRAILER])], /1 fields, expected 19/],
    ['truncated', [PAYLOAD.subarray(0, PAYLOAD.length - 2)], /ended before its trailer/],
    ['bytes after trailer', [Buffer.concat([PAYLOAD, Buffer.from([0])])], /after the COPY trailer/],
    ['wrong int4 length', [copyPayload([[v.int2(1), ...new Array<null>(18).fill(null)]])], /length 2 in column "id"/],
  ];
  for (const [name, chunks, pattern] of cases) {
    const err = t.throws(() => decodeChunks(chunks), undefined, name);
    t.true(isSynqxError(err) && err.code === 'DATA_ERROR', name);
    t.regex(err!.message, pattern, name);
  }
});

test('multi-dimensional arrays and arrays not starting at 1 are refused, not flattened', (t) => {
  const cols = columnsFor([{ name: 'a', kind: Kind.ARRAY, elemKind: Kind.INT4 }]);
  const twoDim = Buffer.alloc(28 + 8);
  [2, 0, 23, 1, 1, 1, 1].forEach((x, i) => twoDim.writeInt32BE(x, i * 4));
  const lbound0 = v.array(23, [v.int4(1)]);
  lbound0.writeInt32BE(0, 16);
  for (const [value, pattern] of [
    [twoDim, /2-dimensional/],
    [lbound0, /lower bound/],
  ] as const) {
    const d = new CopyDecoder(cols.schema, cols.decode);
    const err = t.throws(() => d.push(copyPayload([[value]])));
    t.true(isSynqxError(err) && err.code === 'DATA_ERROR');
    t.regex(err!.message, pattern);
  }
});

test('with keepRaw, each batch carries exactly its rows\' COPY bytes, whatever the chunking', (t) => {
  const rows = Array.from({ length: 7 }, (_, i) => ROWS[i % 3]!);
  const payload = copyPayload(rows);
  for (let cut = 1; cut < payload.length; cut += 3) {
    const d = new CopyDecoder(COLUMNS.schema, COLUMNS.decode, { batchRows: 3, keepRaw: true });
    const batches = [...d.push(payload.subarray(0, cut)), ...d.push(payload.subarray(cut)), ...d.finish()];
    const raws = batches.map((b) => rawCopyOf(b)!);
    t.deepEqual(
      raws.map((r) => r.byteLength),
      [copyRows(rows.slice(0, 3)).length, copyRows(rows.slice(3, 6)).length, copyRows(rows.slice(6)).length],
    );
    const joined = Buffer.concat(raws.flatMap((r) => r.segments));
    if (!joined.equals(copyRows(rows))) t.fail(`cut at ${cut}: raw bytes differ`);
  }
  const plain = new CopyDecoder(COLUMNS.schema, COLUMNS.decode);
  t.is(rawCopyOf(plain.push(copyPayload([ROWS[0]!])).concat(plain.finish())[0]!), undefined, 'off by default');
});

test('a row larger than any chunk (and than the scratch buffer) decodes intact', (t) => {
  const cols = columnsFor([
    { name: 'id', kind: Kind.INT4 },
    { name: 'blob', kind: Kind.BYTEA },
    { name: 'body', kind: Kind.TEXT },
  ]);
  const blob = Buffer.alloc(3 * 1024 * 1024, 7);
  const body = 'z'.repeat(100_000);
  const payload = copyPayload([
    [v.int4(1), blob, v.text(body)],
    [v.int4(2), v.bytes('01'), v.text('small')],
  ]);
  const d = new CopyDecoder(cols.schema, cols.decode, { keepRaw: true });
  const out: RecordBatch[] = [];
  for (let i = 0; i < payload.length; i += 65536) out.push(...d.push(payload.subarray(i, i + 65536)));
  out.push(...d.finish());
  const [batch] = out;
  t.is(batch!.numRows, 2);
  t.true(Buffer.from(batch!.getChild('blob')!.get(0)!).equals(blob));
  t.is(batch!.getChild('body')!.get(0), body);
  t.is(batch!.getChild('body')!.get(1), 'small');
  t.true(Buffer.concat(rawCopyOf(batch!)!.segments).equals(payload.subarray(19, payload.length - 2)));
});
