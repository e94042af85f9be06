import test from 'ava';
import { Bool, DateDay, Float64, Int32, Int64, Int8, Null, TimestampMicrosecond, Utf8, type RecordBatch } from 'apache-arrow';
import { FIELD_META_PG_TYPE } from '../../../../src/core/data-ports.js';
import { SynqxError } from '../../../../src/core/errors.js';
import { col, makeBatch } from '../../../helpers/arrow-batches.js';
import { createOperator, drive, rowsOfAll, slices } from '../../../helpers/stream-driver.js';

// fill_nulls with a computed strategy, driven as its actor drives it, over several batches.

const fill = (config: unknown, batches: RecordBatch[]) => drive(createOperator('fill_nulls', config), [batches[0]!.schema], [batches]);
const column = (config: unknown, batches: RecordBatch[], name: string) => rowsOfAll(fill(config, batches).batches).map((r) => r[name]);
/** The same rows cut every way from 1 to 4 rows per batch must give the same answer. */
const everyCut = (batch: RecordBatch) => [1, 2, 3, 4].map((size) => slices(batch, size));

const series = () =>
  makeBatch({
    id: col(new Int32(), [1, 2, 3, 4, 5, 6, 7, 8, 9]),
    n: col(new Int32(), [null, null, 10, null, null, null, 20, null, null]),
    s: col(new Utf8(), ['a', null, null, 'b', null, 'c', null, null, null]),
    f: col(new Float64(), [null, 1.5, null, null, 2.5, null, null, null, 4]),
  });

test('forward: a NULL takes the last non-NULL value before it, across batches; leading NULLs stay NULL', (t) => {
  for (const batches of everyCut(series())) {
    t.deepEqual(column({ strategy: 'forward' }, batches, 'n'), [null, null, 10, 10, 10, 10, 20, 20, 20]);
    t.deepEqual(column({ strategy: 'forward' }, batches, 's'), ['a', 'a', 'a', 'b', 'b', 'c', 'c', 'c', 'c']);
    t.deepEqual(column({ strategy: 'forward' }, batches, 'f'), [null, 1.5, 1.5, 1.5, 2.5, 2.5, 2.5, 2.5, 4]);
  }
});

test('forward streams: each batch leaves as it comes, filled from the batches before it', (t) => {
  const op = createOperator('fill_nulls', { strategy: 'ffill' });
  op.outputSchema([series().schema]);
  const [a, b, c] = [series().slice(0, 3), series().slice(3, 5), series().slice(5)];
  t.deepEqual(rowsOfAll(op.push(0, a)).map((r) => r.n), [null, null, 10]);
  t.deepEqual(rowsOfAll(op.push(0, b)).map((r) => r.n), [10, 10]);
  t.deepEqual(rowsOfAll(op.push(0, c)).map((r) => r.n), [10, 20, 20, 20]);
  t.deepEqual(op.finish(), []);
});

test('backward: a NULL takes the next non-NULL value after it, across batches; trailing NULLs stay NULL', (t) => {
  for (const batches of everyCut(series())) {
    t.deepEqual(column({ strategy: 'backward' }, batches, 'n'), [10, 10, 10, 20, 20, 20, 20, null, null]);
    t.deepEqual(column({ strategy: 'backward' }, batches, 's'), ['a', 'b', 'b', 'b', 'c', 'c', null, null, null]);
    t.deepEqual(column({ strategy: 'backward' }, batches, 'f'), [1.5, 1.5, 2.5, 2.5, 2.5, 4, 4, 4, 4]);
    t.deepEqual(column({ strategy: 'backward' }, batches, 'id'), [1, 2, 3, 4, 5, 6, 7, 8, 9], 'rows keep their order');
  }
});

test('backward holds a row only until each of its NULL cells has a later value, then emits it', (t) => {
  const op = createOperator('fill_nulls', { strategy: 'bfill', columns: ['n'] });
  op.outputSchema([series().schema]);
  // Rows 1-2 wait for n; row 3 (n = 10) lets them go with it.
  t.deepEqual(op.push(0, series().slice(0, 2)), []);
  t.deepEqual(rowsOfAll(op.push(0, series().slice(2, 4))).map((r) => [r.id, r.n]), [
    [1, 10],
    [2, 10],
    [3, 10],
  ]);
  t.deepEqual(op.push(0, series().slice(4, 6)), []);
  t.deepEqual(rowsOfAll(op.push(0, series().slice(6, 8))).map((r) => [r.id, r.n]), [
    [4, 20],
    [5, 20],
    [6, 20],
    [7, 20],
  ]);
  t.deepEqual(op.push(0, series().slice(8)), []);
  t.deepEqual(rowsOfAll(op.finish()).map((r) => [r.id, r.n]), [
    [8, null],
    [9, null],
  ]);
});

test('backward past max_rows waiting rows is a DATA_ERROR naming max_rows; rows that can leave do not count', (t) => {
  const n = 100;
  const sparse = makeBatch({ v: col(new Int32(), Array.from({ length: n }, (_, i) => (i % 3 === 2 ? i : null))) });
  // At most two rows ever wait here, whatever the batch size.
  t.is(fill({ strategy: 'backward', max_rows: 3 }, slices(sparse, 10)).rowsOut, n);
  const gap = makeBatch({ v: col(new Int32(), [1, null, null, null, null, 2]) });
  const err = t.throws(() => fill({ strategy: 'backward', max_rows: 3 }, slices(gap, 1))) as SynqxError;
  t.is(err.code, 'DATA_ERROR');
  t.regex(err.message, /fill_nulls \(strategy backward\) holds at most 3 rows .*\(config max_rows\)/);
  t.like(err.details, { config_key: 'max_rows', limit: 3 });
});

test('aliases: ffill and pad are forward, bfill and backfill are backward', (t) => {
  const batches = slices(series(), 2);
  const rows = (strategy: string) => rowsOfAll(fill({ strategy }, batches).batches);
  t.deepEqual(rows('ffill'), rows('forward'));
  t.deepEqual(rows('pad'), rows('forward'));
  t.deepEqual(rows('bfill'), rows('backward'));
  t.deepEqual(rows('backfill'), rows('backward'));
  t.notDeepEqual(rows('forward'), rows('backward'));
});

test('columns restricts what a strategy fills; a missing column is a DATA_ERROR before any data', (t) => {
  const rows = rowsOfAll(fill({ strategy: 'forward', columns: ['n'] }, slices(series(), 2)).batches);
  t.deepEqual(
    rows.map((r) => r.n),
    [null, null, 10, 10, 10, 10, 20, 20, 20],
  );
  t.deepEqual(
    rows.map((r) => r.s),
    ['a', null, null, 'b', null, 'c', null, null, null],
  );
  for (const strategy of ['forward', 'backward', 'mean', 'median', 'mode']) {
    const err = t.throws(() => createOperator('fill_nulls', { strategy, columns: ['nope'] }).outputSchema([series().schema])) as SynqxError;
    t.is(err.code, 'DATA_ERROR');
    t.regex(err.message, /fill_nulls: column "nope" not found; the input has: id, n, s, f/);
  }
});

test('an all-NULL column stays NULL under every strategy', (t) => {
  const batch = makeBatch({ id: col(new Int32(), [1, 2, 3, 4]), v: col(new Int32(), [null, null, null, null]), u: col(new Null(), [null, null, null, null]) });
  for (const strategy of ['forward', 'backward', 'mean', 'median', 'mode']) {
    const out = rowsOfAll(fill({ strategy }, slices(batch, 3)).batches);
    t.deepEqual(
      out.map((r) => [r.id, r.v, r.u]),
      [1, 2, 3, 4].map((id) => [id, null, null]),
      strategy,
    );
  }
});

test('mean and median fill numeric columns from the whole run (integers rounded half away from zero); others untouched', (t) => {
  const batch = makeBatch({
    i: col(new Int32(), [1, null, 2, null, 4, 1]),
    neg: col(new Int8(), [-1, -2, null, null, null, null]),
    f: col(new Float64(), [0.5, null, 1, null, 2, 4]),
    s: col(new Utf8(), ['x', null, 'y', null, 'x', 'z']),
  });
  for (const batches of everyCut(batch)) {
    const mean = rowsOfAll(fill({ strategy: 'mean' }, batches).batches);
    t.deepEqual(mean.map((r) => r.i), [1, 2, 2, 2, 4, 1], 'mean of 1, 2, 4, 1 is 2');
    t.deepEqual(mean.map((r) => r.neg), [-1, -2, -2, -2, -2, -2], '-1.5 rounds to -2');
    t.deepEqual(mean.map((r) => r.f), [0.5, 1.875, 1, 1.875, 2, 4]);
    t.deepEqual(mean.map((r) => r.s), ['x', null, 'y', null, 'x', 'z'], 'text is not numeric');
    const median = rowsOfAll(fill({ strategy: 'median' }, batches).batches);
    t.deepEqual(median.map((r) => r.i), [1, 2, 2, 2, 4, 1], 'median of 1, 1, 2, 4 is 1.5, rounded to 2');
    t.deepEqual(median.map((r) => r.f), [0.5, 1.5, 1, 1.5, 2, 4]);
  }
  const odd = makeBatch({ v: col(new Int32(), [7, null, 3, 100]) });
  t.deepEqual(column({ strategy: 'median' }, [odd], 'v'), [7, 7, 3, 100]);
});

test('mean and median are exact for int64 and PG numeric text', (t) => {
  const big = 2n ** 60n;
  const ints = makeBatch({ v: col(new Int64(), [big, null, big + 3n]) });
  t.deepEqual(column({ strategy: 'mean' }, slices(ints, 1), 'v'), [big, big + 2n, big + 3n], '2^60 + 1.5 rounds up');
  t.deepEqual(column({ strategy: 'median' }, slices(ints, 1), 'v'), [big, big + 2n, big + 3n]);
  const numeric = (values: (string | null)[]) => makeBatch({ amount: col(new Utf8(), values, { [FIELD_META_PG_TYPE]: 'numeric(12,2)' }) });
  const amounts = numeric(['1.50', null, '2.50', '10.25', null]);
  t.deepEqual(column({ strategy: 'mean' }, slices(amounts, 2), 'amount'), ['1.50', '4.75', '2.50', '10.25', '4.75']);
  t.deepEqual(column({ strategy: 'median' }, slices(amounts, 2), 'amount'), ['1.50', '2.50', '2.50', '10.25', '2.50']);
  t.deepEqual(column({ strategy: 'mean' }, [numeric(['1', '2', '2', null])], 'amount'), ['1', '2', '2', '1.6666666666666667']);
  t.deepEqual(column({ strategy: 'median' }, [numeric(['1', '2', null])], 'amount'), ['1', '2', '1.5']);
  t.deepEqual(column({ strategy: 'mean' }, [numeric(['1', 'NaN', null])], 'amount'), ['1', 'NaN', 'NaN']);
  t.deepEqual(column({ strategy: 'mode' }, [numeric(['1.5', '2', '1.50', null])], 'amount'), ['1.5', '2', '1.50', '1.5'], '1.5 = 1.50');
});

test('mean of a PG numeric column with more values than a call takes arguments (no spread of every scale)', (t) => {
  const n = 300_001;
  const values = Array.from({ length: n }, (_, i) => (i === n - 1 ? null : i % 2 === 0 ? '1.5' : '2.50'));
  const batch = makeBatch({ amount: col(new Utf8(), values, { [FIELD_META_PG_TYPE]: 'numeric(12,2)' }) });
  t.is(column({ strategy: 'mean' }, [batch], 'amount').at(-1), '2.00');
});

test('mean or median of a named non-numeric column is a DATA_ERROR', (t) => {
  const err = t.throws(() => createOperator('fill_nulls', { strategy: 'median', columns: ['s'] }).outputSchema([series().schema])) as SynqxError;
  t.is(err.code, 'DATA_ERROR');
  t.regex(err.message, /column "s" has type Utf8; mean and median fill integer, float and numeric columns/);
});

test('mode: the most frequent non-NULL value of the whole run, ties to the one seen first, any comparable type', (t) => {
  const batch = makeBatch({
    s: col(new Utf8(), ['b', null, 'a', 'a', 'b', null]),
    i: col(new Int32(), [3, 5, null, 5, 3, null]),
    ok: col(new Bool(), [null, false, true, true, null, null]),
    d: col(new DateDay(), [new Date(Date.UTC(2024, 0, 2)), null, new Date(Date.UTC(2024, 0, 2)), null, null, null]),
    ts: col(new TimestampMicrosecond(), [null, 1_700_000_000_000, null, null, null, null]),
  });
  for (const batches of everyCut(batch)) {
    const rows = rowsOfAll(fill({ strategy: 'mode' }, batches).batches);
    t.deepEqual(rows.map((r) => r.s), ['b', 'b', 'a', 'a', 'b', 'b'], "a and b twice each: b was seen first");
    t.deepEqual(rows.map((r) => r.i), [3, 5, 3, 5, 3, 3]);
    t.deepEqual(rows.map((r) => r.ok), [true, false, true, true, true, true]);
    t.deepEqual(rows.map((r) => r.d), Array(6).fill(Date.UTC(2024, 0, 2)));
    t.deepEqual(rows.map((r) => r.ts), Array(6).fill(1_700_000_000_000));
  }
});

test('mean, median and mode hold every row until the end, at most max_rows', (t) => {
  const op = createOperator('fill_nulls', { strategy: 'mode' });
  op.outputSchema([series().schema]);
  t.deepEqual(op.push(0, series().slice(0, 5)), []);
  t.deepEqual(op.push(0, series().slice(5)), []);
  t.is(rowsOfAll(op.finish()).length, 9);
  for (const strategy of ['mean', 'median', 'mode']) {
    const err = t.throws(() => fill({ strategy, max_rows: 8 }, slices(series(), 4))) as SynqxError;
    t.is(err.code, 'DATA_ERROR');
    t.regex(err.message, new RegExp(`fill_nulls \\(strategy ${strategy}\\) holds at most 8 rows \\(config max_rows\\)`));
  }
  t.is(fill({ strategy: 'mean', max_rows: 9 }, slices(series(), 4)).rowsOut, 9);
});

test('rows in = rows out, and the input batches are not changed', (t) => {
  for (const strategy of ['forward', 'backward', 'mean', 'median', 'mode']) {
    const batches = slices(series(), 2);
    const before = rowsOfAll(batches);
    const out = fill({ strategy }, batches);
    t.is(out.rowsIn, 9);
    t.is(out.rowsOut, 9);
    t.deepEqual(rowsOfAll(batches), before);
  }
});

test('forward and backward match a row-by-row reference on long random runs cut at random', (t) => {
  let seed = 42;
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  const n = 20_000;
  // Long NULL runs (up to a few thousand rows) next to dense stretches.
  const values: (number | null)[] = [];
  while (values.length < n) {
    const run = Math.floor(random() ** 4 * 3000);
    for (let i = 0; i < run && values.length < n; i++) values.push(null);
    for (let i = Math.floor(random() * 5); i >= 0 && values.length < n; i--) values.push(Math.floor(random() * 1000));
  }
  const batch = makeBatch({ v: col(new Int32(), values), w: col(new Int32(), values.map((v, i) => (i % 7 === 0 ? null : v))) });
  const cuts: RecordBatch[] = [];
  for (let at = 0; at < n; ) {
    const size = 1 + Math.floor(random() * 500);
    cuts.push(batch.slice(at, Math.min(n, at + size)));
    at += size;
  }
  const reference = (cells: (number | null)[], backward: boolean) => {
    const order = backward ? [...cells].reverse() : cells;
    let last: number | null = null;
    const out = order.map((v) => (v === null ? last : (last = v)));
    return backward ? out.reverse() : out;
  };
  const w = values.map((v, i) => (i % 7 === 0 ? null : v));
  for (const [strategy, backward] of [
    ['forward', false],
    ['backward', true],
  ] as const) {
    const rows = rowsOfAll(fill({ strategy, max_rows: n }, cuts).batches);
    t.deepEqual(
      rows.map((r) => r.v),
      reference(values, backward),
      strategy,
    );
    t.deepEqual(
      rows.map((r) => r.w),
      reference(w, backward),
      strategy,
    );
  }
});
