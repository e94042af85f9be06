import test from 'ava';
import {
  Bool,
  DateDay,
  Field,
  FixedSizeBinary,
  Float64,
  Int32,
  Int64,
  List,
  RecordBatch,
  Schema,
  Struct,
  TimestampMicrosecond,
  Utf8,
  makeBuilder,
  makeData,
  type DataType,
} from 'apache-arrow';
import { packBatch, unpackBatch } from '../../../../src/engine/transforms/batch-transfer.js';
import { rowsOf } from '../../../helpers/arrow-batches.js';

// Every shape the Postgres decoder produces (fixed width, bits, offsets + bytes, fixed-size binary,
// lists, structs), NULLs, field metadata and sliced data (non-zero offsets) must survive a crossing.

/** Rows as JSON (lists and structs via their toJSON, bigints and bytes spelled out), comparable across copies. */
function plain(batch: RecordBatch): string {
  return JSON.stringify(rowsOf(batch), (_k, v) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? Array.from(v) : v));
}

function column<T extends DataType>(type: T, values: unknown[]) {
  const b = makeBuilder({ type, nullValues: [null] });
  for (const v of values) b.append(v as never);
  return b.finish().flush();
}

function sample(): RecordBatch {
  const n = 50;
  const ids = Array.from({ length: n }, (_, i) => (i % 7 === 0 ? null : i));
  const interval = new Struct([new Field('months', new Int32(), false), new Field('days', new Int32(), false), new Field('micros', new Int64(), false)]);
  const fields = [
    new Field('id', new Int32(), true, new Map([['synqx.pg_type', 'integer']])),
    new Field('big', new Int64(), true),
    new Field('name', new Utf8(), true),
    new Field('ok', new Bool(), true),
    new Field('ratio', new Float64(), true),
    new Field('day', new DateDay(), true),
    new Field('at', new TimestampMicrosecond('UTC'), true),
    new Field('uuid', new FixedSizeBinary(16), true),
    new Field('tags', new List(new Field('item', new Utf8(), true)), true),
    new Field('span', interval, true),
  ];
  const children = [
    column(new Int32(), ids),
    column(new Int64(), ids.map((v) => (v === null ? null : BigInt(v) * 10_000_000_000n))),
    column(new Utf8(), ids.map((v) => (v === null ? null : `name-${v}-${'é'.repeat(v % 5)}`))),
    column(new Bool(), ids.map((v) => (v === null ? null : v % 2 === 0))),
    column(new Float64(), ids.map((v) => (v === null ? null : v / 3))),
    column(new DateDay(), ids.map((v) => (v === null ? null : new Date(Date.UTC(2020, 0, 1 + v))))),
    column(new TimestampMicrosecond('UTC'), ids.map((v) => (v === null ? null : Date.UTC(2021, 5, 1, 0, 0, v)))),
    column(new FixedSizeBinary(16), ids.map((v) => (v === null ? null : new Uint8Array(16).fill(v)))),
    column(new List(new Field('item', new Utf8(), true)), ids.map((v) => (v === null ? null : v % 3 === 0 ? [] : ['a', null, String(v)]))),
    column(interval, ids.map((v) => (v === null ? null : { months: v, days: -v, micros: BigInt(v) }))),
  ];
  const schema = new Schema(fields);
  return new RecordBatch(schema, makeData({ type: new Struct(fields), length: n, nullCount: 0, children }));
}

test('a packed batch unpacks to the same rows, schema and metadata (copied buffers)', (t) => {
  const b = sample();
  const packed = packBatch(b);
  t.is(packed.buffers.length, 1, 'everything copied into one buffer');
  const out = unpackBatch(structuredClone(packed, { transfer: packed.buffers }));
  t.deepEqual(out.schema.fields.map((f) => [f.name, String(f.type), f.nullable]), b.schema.fields.map((f) => [f.name, String(f.type), f.nullable]));
  t.is(out.schema.fields[0]!.metadata.get('synqx.pg_type'), 'integer');
  t.is(plain(out), plain(b));
  t.is(b.getChild('id')!.get(1), 1, 'the input is untouched');
});

test('sliced batches (non-zero offsets) keep exactly their rows', (t) => {
  const b = sample().slice(13, 41);
  const out = unpackBatch(structuredClone(packBatch(b)));
  t.is(out.numRows, 28);
  t.is(plain(out), plain(b));
});

test('movable buffers are moved, not copied: the sender loses them', (t) => {
  const b = sample();
  const packed = packBatch(b, () => true);
  t.true(packed.buffers.length > 1);
  const expected = plain(b);
  const received = structuredClone(packed, { transfer: packed.buffers });
  t.is(b.getChild('id')!.data[0]!.values.byteLength, 0, 'detached on the sending side');
  t.is(plain(unpackBatch(received)), expected);
});
