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
  Struct,
  TimestampMicrosecond,
  Utf8,
} from 'apache-arrow';
import { filterBatch, takeRows } from '../../../../src/engine/transforms/take.js';
import { col, makeBatch, rowsOf, snapshotBuffers } from '../../../helpers/arrow-batches.js';

const n = 70; // more than 64 rows: bitmaps span several bytes
const pick = <T>(f: (i: number) => T) => Array.from({ length: n }, (_, i) => (i % 7 === 3 ? null : f(i)));

const wide = () =>
  makeBatch({
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
    list: col(new List(new Field('item', new Int32(), true)), pick((i) => Array.from({ length: i % 3 }, (_, k) => (k === 1 ? null : i + k)))),
    struct: col(new Struct([new Field('x', new Int32(), true), new Field('y', new Utf8(), true)]), pick((i) => ({ x: i, y: i % 4 === 0 ? null : `y${i}` }))),
    dict: col(new Dictionary(new Utf8(), new Int32()), pick((i) => ['red', 'green', 'blue'][i % 3])),
  });

const normalize = (rows: Record<string, unknown>[]) =>
  rows.map((r) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v && typeof v === 'object' && 'toJSON' in v ? v.toJSON() : v)));

test('takeRows selects exactly the requested rows for every column type', (t) => {
  const b = wide();
  const all = normalize(rowsOf(b));
  const indices = Int32Array.of(0, 3, 4, 5, 9, 10, 63, 64, 65, 69);
  const out = takeRows(b, indices);
  t.is(out.numRows, indices.length);
  t.deepEqual(normalize(rowsOf(out)), Array.from(indices, (i) => all[i]));
  t.deepEqual(out.schema, b.schema);
});

test('takeRows works on a sliced batch (non-zero offsets)', (t) => {
  const b = wide().slice(5, 60);
  const all = normalize(rowsOf(b));
  const indices = Int32Array.of(0, 1, 2, 17, 40, 54);
  t.deepEqual(normalize(rowsOf(takeRows(b, indices))), Array.from(indices, (i) => all[i]));
});

test('filterBatch keeps masked rows, returns the input when all are kept, and leaves the input untouched', (t) => {
  const b = wide();
  const before = snapshotBuffers(b);
  const mask = Uint8Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 1 : 0));
  const out = filterBatch(b, mask);
  t.is(out.numRows, 35);
  const all = normalize(rowsOf(b));
  t.deepEqual(normalize(rowsOf(out)), all.filter((_, i) => i % 2 === 0));
  t.is(filterBatch(b, new Uint8Array(n).fill(1)), b);
  t.is(filterBatch(b, new Uint8Array(n)).numRows, 0);
  t.is(snapshotBuffers(b), before);
});

test('nullCount of the result counts only the selected NULLs', (t) => {
  const b = wide();
  const out = takeRows(b, Int32Array.of(3, 10, 11));
  t.is(out.getChild('i32')!.nullCount, 2);
  t.is(takeRows(b, Int32Array.of(0, 1)).getChild('i32')!.nullCount, 0);
});

test('long runs of kept rows (copied run by run) give the same rows as single picks', (t) => {
  const b = wide();
  const all = normalize(rowsOf(b));
  const mask = Uint8Array.from({ length: n }, (_, i) => (i % 10 === 0 ? 0 : 1));
  const out = filterBatch(b, mask);
  t.is(out.numRows, 63);
  t.deepEqual(normalize(rowsOf(out)), all.filter((_, i) => i % 10 !== 0));
});

test('float64 bits survive a take on both copy paths, NaN payloads included', (t) => {
  const bits = new BigInt64Array(n);
  for (let i = 0; i < n; i++) bits[i] = i % 5 === 0 ? 0x7ff4000000000abcn : BigInt(i) << 40n;
  const floats = new Float64Array(bits.buffer);
  const b = makeBatch({ f: col(new Float64(), Array.from(floats)) });
  // Rebuild the column from the raw bits, so the payload is the one under test rather than vectorFromArray's.
  (b.data.children[0]!.values as Float64Array).set(floats);
  for (const mask of [Uint8Array.from({ length: n }, (_, i) => (i % 10 === 9 ? 0 : 1)), Uint8Array.from({ length: n }, (_, i) => i % 2)]) {
    const out = filterBatch(b, mask);
    const outBits = new BigInt64Array((out.data.children[0]!.values as Float64Array).slice().buffer);
    const expected = Array.from(bits).filter((_, i) => mask[i]);
    t.deepEqual(Array.from(outBits.subarray(0, expected.length)), expected);
  }
});
