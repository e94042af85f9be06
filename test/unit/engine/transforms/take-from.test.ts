import test from 'ava';
import {
  Binary,
  Bool,
  DateDay,
  Dictionary,
  Field,
  FixedSizeBinary,
  Float64,
  Int32,
  Int64,
  LargeUtf8,
  List,
  Null,
  Schema,
  Struct,
  TimestampMicrosecond,
  Utf8,
} from 'apache-arrow';
import { batchOf, emptyBatch, takeFrom } from '../../../../src/engine/transforms/take-from.js';
import { col, makeBatch, rowsOf, snapshotBuffers } from '../../../helpers/arrow-batches.js';

const wide = (n: number, base: number) => {
  const pick = <T>(f: (i: number) => T) => Array.from({ length: n }, (_, k) => ((k + base) % 7 === 3 ? null : f(k + base)));
  return makeBatch({
    i32: col(new Int32(), pick((i) => i)),
    i64: col(new Int64(), pick((i) => BigInt(i) * 10_000_000_000n)),
    f64: col(new Float64(), pick((i) => i / 4)),
    bool: col(new Bool(), pick((i) => i % 2 === 0)),
    text: col(new Utf8(), pick((i) => `row ${i} ${'é'.repeat(i % 5)}`)),
    large: col(new LargeUtf8(), pick((i) => `L${i}`)),
    bin: col(new Binary(), pick((i) => Uint8Array.of(i, i + 1))),
    fixed: col(new FixedSizeBinary(2), pick((i) => Uint8Array.of(i, 255 - i))),
    day: col(new DateDay(), pick((i) => new Date(Date.UTC(2020, 0, 1 + i)))),
    ts: col(new TimestampMicrosecond(), pick((i) => Date.UTC(2020, 0, 1, 0, 0, i))),
    list: col(new List(new Field('item', new Int32(), true)), pick((i) => Array.from({ length: i % 3 }, (_, k) => i + k))),
    struct: col(new Struct([new Field('x', new Int32(), true)]), pick((i) => ({ x: i }))),
    dict: col(new Dictionary(new Utf8(), new Int32()), pick((i) => ['red', 'green', 'blue'][i % 3])),
  });
};

const normalize = (rows: Record<string, unknown>[]) =>
  rows.map((r) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v && typeof v === 'object' && 'toJSON' in v ? v.toJSON() : v)));

test('takeFrom interleaves rows of several batches (one sliced) and pads NULLs, for every column type', (t) => {
  const a = wide(70, 0);
  const b = wide(90, 100).slice(9, 80); // non-zero offsets
  const before = [a, b].map(snapshotBuffers);
  const which = Int32Array.of(0, 1, -1, 1, 0, 0, -1, 1, 1, 0, 1);
  const rows = Int32Array.of(0, 0, 5, 70, 69, 3, 0, 12, 13, 64, 2);
  const children = a.schema.fields.map((f, c) => takeFrom(f.type, [a.data.children[c]!, b.data.children[c]!], which, rows));
  const out = batchOf(a.schema, which.length, children);
  const rowsA = normalize(rowsOf(a));
  const rowsB = normalize(rowsOf(b));
  const nullRow = JSON.stringify(Object.fromEntries(a.schema.fields.map((f) => [f.name, null])));
  const expected = Array.from(which, (w, j) => (w < 0 ? nullRow : (w === 0 ? rowsA : rowsB)[rows[j]!]));
  t.deepEqual(normalize(rowsOf(out)), expected);
  t.deepEqual([a, b].map(snapshotBuffers), before);
});

test('takeFrom with no source at all gives an all-NULL column of the type; one source and no NULLs is a plain take', (t) => {
  const nested = [new List(new Field('i', new Int32(), true)), new Struct([new Field('x', new Utf8(), true)]), new Dictionary(new Utf8(), new Int32())];
  for (const type of [new Int64(), new Utf8(), new Bool(), new FixedSizeBinary(3), new Null(), ...nested]) {
    const data = takeFrom(type, [], Int32Array.of(-1, -1, -1), Int32Array.of(0, 0, 0));
    t.is(data.length, 3);
    t.is(data.nullCount, 3, String(type));
    t.is(String(data.type), String(type));
  }
  const a = wide(10, 0);
  const picked = takeFrom(a.schema.fields[0]!.type, [a.data.children[0]!], Int32Array.of(0, 0), Int32Array.of(9, 1));
  t.deepEqual([...batchOf(new Schema([a.schema.fields[0]!]), 2, [picked]).getChildAt(0)!], [9, 1]);
  const empty = emptyBatch(a.schema);
  t.is(empty.numRows, 0);
  t.deepEqual(empty.schema, a.schema);
});

test('takeFrom keeps a dictionary shared by its sources and gathers only the indices', (t) => {
  const a = wide(20, 0);
  const dict = a.data.children[12]!;
  const halves = [dict.slice(0, 10), dict.slice(10, 10)];
  const out = takeFrom(dict.type, halves, Int32Array.of(1, -1, 0, 1), Int32Array.of(9, 0, 2, 0));
  t.is(out.dictionary, dict.dictionary);
  t.deepEqual([...batchOf(new Schema([a.schema.fields[12]!]), 4, [out]).getChildAt(0)!], [rowsOf(a)[19]!.dict, null, rowsOf(a)[2]!.dict, rowsOf(a)[10]!.dict]);
});
