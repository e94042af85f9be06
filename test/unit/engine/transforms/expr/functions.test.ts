import test from 'ava';
import { Bool, DateDay, Field, Float64, Int32, Int64, List, TimestampMicrosecond, Utf8 } from 'apache-arrow';
import { SynqxError } from '../../../../../src/core/errors.js';
import type { ExpressionProblem } from '../../../../../src/engine/transforms/expr/expr-error.js';
import { Expression } from '../../../../../src/engine/transforms/expr/expression.js';
import { cellGetter, cellText } from '../../../../../src/engine/transforms/expr/cells.js';
import { col, makeBatch } from '../../../../helpers/arrow-batches.js';

const N = null;
const NOW = new Date(Date.UTC(2025, 2, 15, 10, 30, 45, 123));

// Row 2 is NULL in every column.
const batch = makeBatch({
  i: col(new Int32(), [1, -2, null, 4]),
  f: col(new Float64(), [1.5, -2.5, null, 0.25]),
  s: col(new Utf8(), [' Hello ', 'wörld', null, 'a-b-a']),
  n: col(new Utf8(), ['12', ' -7 ', null, 'x1']),
  b: col(new Bool(), [true, false, null, true]),
  big: col(new Int64(), [1n, 9007199254740993n, null, -5n]),
  ts: col(new TimestampMicrosecond(), [Date.UTC(2024, 0, 1), Date.UTC(2024, 5, 15, 13, 45, 30, 250), null, Date.UTC(2023, 11, 31, 23, 59, 59)]),
  d: col(new DateDay(), [new Date(Date.UTC(2024, 0, 1)), new Date(Date.UTC(2024, 1, 29)), null, new Date(Date.UTC(1999, 11, 31))]),
});

/** Per-row results; timestamps rendered as text so expectations stay readable. */
function rows(src: string): unknown[] {
  const v = Expression.parse(src).evaluate(batch, { now: NOW });
  const get = cellGetter(v);
  return Array.from({ length: batch.numRows }, (_, i) => (v.type === 'time' ? cellText(get(i), 'time') : get(i)));
}

const cases: [string, unknown[]][] = [
  // case when
  ["case when i > 1 then 'big' when i < 0 then 'neg' else 'small' end", ['small', 'neg', 'small', 'big']],
  ["case when i > 1 then 'big' end", [N, N, N, 'big']],
  ['case when b then i else f end', [1, -2.5, N, 4]],
  ['case when null then 1 else 2 end', [2, 2, 2, 2]],
  ["case s when 'wörld' then 1 when 'a-b-a' then 2 else 0 end", [0, 1, 0, 2]],
  ['case when true then 1 end + i', [2, -1, N, 5]],
  // coalesce
  ['coalesce(i, 0)', [1, -2, 0, 4]],
  ['coalesce(null, f, i, 9)', [1.5, -2.5, 9, 0.25]],
  ['coalesce(null, null)', [N, N, N, N]],
  ['coalesce(s, n)', [' Hello ', 'wörld', N, 'a-b-a']],
  ['coalesce(big, 0)', [1n, 9007199254740993n, 0n, -5n]],
  // casts
  ['cast(n as int)', [12, -7, N, 'error']],
  ['cast(f as int)', [2, -3, N, 0]],
  ['cast(i as text)', ['1', '-2', N, '4']],
  ['cast(f as text)', ['1.5', '-2.5', N, '0.25']],
  ['cast(b as text)', ['true', 'false', N, 'true']],
  ['cast(ts as text)', ['2024-01-01 00:00:00', '2024-06-15 13:45:30.25', N, '2023-12-31 23:59:59']],
  ['cast(i as bigint)', [1n, -2n, N, 4n]],
  ["cast('9007199254740993' as bigint)", [9007199254740993n, 9007199254740993n, 9007199254740993n, 9007199254740993n]],
  ['cast(i as double) / 2', [0.5, -1, N, 2]],
  ["cast('1e3' as numeric)", [1000, 1000, 1000, 1000]],
  ['cast(i as bool)', [true, true, N, true]],
  ["cast('off' as boolean)", [false, false, false, false]],
  ['cast(ts as date)', ['2024-01-01 00:00:00', '2024-06-15 00:00:00', N, '2023-12-31 00:00:00']],
  ["cast('2024-02-29 12:00' as timestamp)", Array(4).fill('2024-02-29 12:00:00')],
  ['cast(d as timestamp)', ['2024-01-01 00:00:00', '2024-02-29 00:00:00', N, '1999-12-31 00:00:00']],
  ['cast(null as int)', [N, N, N, N]],
  ['cast(s as text)', [' Hello ', 'wörld', N, 'a-b-a']],
  // strings
  ['lower(s)', [' hello ', 'wörld', N, 'a-b-a']],
  ['upper(s)', [' HELLO ', 'WÖRLD', N, 'A-B-A']],
  ['trim(s)', ['Hello', 'wörld', N, 'a-b-a']],
  ['length(s)', [7, 5, N, 5]],
  ["length('😀x')", [2, 2, 2, 2]],
  ['lower(null)', [N, N, N, N]],
  ['substr(s, 2, 3)', ['Hel', 'örl', N, '-b-']],
  ['substr(s, 4)', ['llo ', 'ld', N, '-a']],
  ["substr('hello', 0, 2)", ['h', 'h', 'h', 'h']],
  ["substr('hello', -3)", ['hello', 'hello', 'hello', 'hello']],
  ["substr('hello', 9, 2)", ['', '', '', '']],
  ['substr(s, i)', [' Hello ', 'wörld', N, '-a']],
  ['substr(s, 1, i)', [' ', 'error', N, 'a-b-']],
  ["substr(s, null)", [N, N, N, N]],
  ["concat(s, '/', i, '/', b)", [' Hello /1/t', 'wörld/-2/f', '//', 'a-b-a/4/t']],
  ['concat(null, ts)', ['2024-01-01 00:00:00', '2024-06-15 13:45:30.25', '', '2023-12-31 23:59:59']],
  // typed literals
  ["d = date '2024-02-29'", [false, true, N, false]],
  ["ts >= timestamp '2024-06-01 00:00:00'", [false, true, N, false]],
  ["coalesce(d, date '2000-01-01') < date '2024-01-01'", [false, false, true, true]],
  // a string literal next to a date or timestamp branch is one, as in comparisons
  ["coalesce(d, '2000-01-01')", ['2024-01-01 00:00:00', '2024-02-29 00:00:00', '2000-01-01 00:00:00', '1999-12-31 00:00:00']],
  ["case when b then ts else '2020-05-05 05:05:05' end", ['2024-01-01 00:00:00', '2020-05-05 05:05:05', '2020-05-05 05:05:05', '2023-12-31 23:59:59']],
  // `||`: concat's text, SQL's NULL rule; binds tighter than comparison, looser than `+`
  ["s || '/' || i", [' Hello /1', 'wörld/-2', N, 'a-b-a/4']],
  ["'n' || i + 1", ['n2', 'n-1', N, 'n5']],
  ["'x' || null", [N, N, N, N]],
  ["b || '' = 't'", [true, false, N, true]],
  ["coalesce(s, '?') || big", [' Hello 1', 'wörld9007199254740993', N, 'a-b-a-5']],
  ["replace(s, 'a', 'X')", [' Hello ', 'wörld', N, 'X-b-X']],
  ["replace(s, '', 'X')", [' Hello ', 'wörld', N, 'a-b-a']],
  ["replace(s, null, 'X')", [N, N, N, N]],
  ["regexp_replace(s, '[aeiou]', '*')", [' H*llo ', 'wörld', N, '*-b-a']],
  ["regexp_replace(s, '[aeiou]', '*', 'g')", [' H*ll* ', 'wörld', N, '*-b-*']],
  ["regexp_replace(s, 'h(e)', '<\\1\\&$>', 'i')", [' <eHe$>llo ', 'wörld', N, 'a-b-a']],
  ["regexp_replace(s, '-', n, 'g')", [' Hello ', 'wörld', N, 'ax1bx1a']],
  ["regexp_replace(s, null, 'x')", [N, N, N, N]],
  ['regexp_replace(null, \'a\', \'b\')', [N, N, N, N]],
  // math
  ['abs(i)', [1, 2, N, 4]],
  ['abs(f)', [1.5, 2.5, N, 0.25]],
  ['abs(big)', [1n, 9007199254740993n, N, 5n]],
  ['abs(null)', [N, N, N, N]],
  ['round(f)', [2, -3, N, 0]],
  ['round(f, 1)', [1.5, -2.5, N, 0.3]],
  ['round(2.675, 2)', [2.68, 2.68, 2.68, 2.68]],
  ['round(1250.5, -2)', [1300, 1300, 1300, 1300]],
  ['round(i, null)', [N, N, N, N]],
  ['round(big)', [1n, 9007199254740993n, N, -5n]],
  ['floor(f)', [1, -3, N, 0]],
  ['ceil(f)', [2, -2, N, 1]],
  ['ceiling(i)', [1, -2, N, 4]],
  ['floor(null)', [N, N, N, N]],
  // date/time
  ["date_trunc('month', ts)", ['2024-01-01 00:00:00', '2024-06-01 00:00:00', N, '2023-12-01 00:00:00']],
  ["date_trunc('hour', ts)", ['2024-01-01 00:00:00', '2024-06-15 13:00:00', N, '2023-12-31 23:00:00']],
  ["date_trunc('week', ts)", ['2024-01-01 00:00:00', '2024-06-10 00:00:00', N, '2023-12-25 00:00:00']],
  ["date_trunc('quarter', ts)", ['2024-01-01 00:00:00', '2024-04-01 00:00:00', N, '2023-10-01 00:00:00']],
  ["date_trunc('YEAR', d)", ['2024-01-01 00:00:00', '2024-01-01 00:00:00', N, '1999-01-01 00:00:00']],
  ["date_trunc('century', d)", ['2001-01-01 00:00:00', '2001-01-01 00:00:00', N, '1901-01-01 00:00:00']],
  ["date_trunc('days', now())", Array(4).fill('2025-03-15 00:00:00')],
  ['date_trunc(null, ts)', [N, N, N, N]],
  ["date_trunc('day', null)", [N, N, N, N]],
  ['extract(year from ts)', [2024, 2024, N, 2023]],
  ['extract(MONTH from d)', [1, 2, N, 12]],
  ['extract(dow from ts)', [1, 6, N, 0]],
  ['extract(isodow from ts)', [1, 6, N, 7]],
  ['extract(doy from ts)', [1, 167, N, 365]],
  ['extract(week from ts)', [1, 24, N, 52]],
  ['extract(quarter from ts)', [1, 2, N, 4]],
  ['extract(second from ts)', [0, 30.25, N, 59]],
  ['extract(epoch from ts)', [1704067200, 1718459130.25, N, 1704067199]],
  ['extract(century from d)', [21, 21, N, 20]],
  ["date_part('hour', ts)", [0, 13, N, 23]],
  ['extract(year from null)', [N, N, N, N]],
  ['extract(minute from now())', [30, 30, 30, 30]],
];

for (const [src, expected] of cases) {
  test(`evaluates ${src}`, (t) => {
    if (expected.includes('error')) {
      const err = t.throws(() => rows(src)) as SynqxError;
      t.is(err.code, 'DATA_ERROR');
      return;
    }
    t.deepEqual(rows(src), expected);
  });
}

test('a failed cast names the value, its row and the expression position', (t) => {
  const err = t.throws(() => rows("i > 0 and cast(n as int) > 0")) as SynqxError;
  t.is(err.code, 'DATA_ERROR');
  t.is(err.message, "cannot cast 'x1' to int (row 4 of the batch, at position 11)");
  t.deepEqual(err.details, { row: 4, position: 11, value: "'x1'" });
});

test('a cast out of range is a DATA_ERROR', (t) => {
  const big = makeBatch({ x: col(new Int64(), [1n, 5000000000n]) });
  t.throws(() => Expression.parse('cast(x as int) > 0').predicateMask(big), { message: /cannot cast 5000000000 to int: out of range for int \(row 2/ });
});

const typeErrors: [string, number, RegExp][] = [
  ["cast('abc' as int) = 1", 1, /cannot cast 'abc' to int/],
  ['cast(ts as int) = 1', 6, /cannot cast timestamp to int/],
  ['cast(b as double) = 1', 6, /cannot cast boolean to double/],
  ['cast(i as date) = ts', 6, /cannot cast number to date/],
  ["coalesce(i, 'x') = 1", 13, /coalesce's arguments must all have one type: number and text do not mix/],
  ["case when b then 1 else 'x' end = 1", 25, /case's results must all have one type/],
  ['case when i then 1 end = 1', 11, /'when' needs a condition, got number/],
  ["lower(i) = 'x'", 7, /argument 1 of lower\(\) must be text, got number/],
  ["substr(s, 'a') = 'x'", 11, /argument 2 of substr\(\) must be number, got text/],
  ["regexp_replace(s, '(a', 'b') = 'x'", 19, /invalid regular expression/],
  ["regexp_replace(s, n, 'b') = 'x'", 19, /the regexp_replace pattern must be a string literal/],
  ["regexp_replace(s, 'a', 'b', 'q') = 'x'", 29, /unknown regexp_replace flag 'q'/],
  ['abs(s) = 1', 5, /argument 1 of abs\(\) must be number, got text/],
  ["round(f, 'x') = 1", 10, /argument 2 of round\(\) must be number/],
  ["date_trunc('fortnight', ts) = ts", 12, /unknown date_trunc unit 'fortnight'/],
  ['date_trunc(s, ts) = ts', 12, /the date_trunc unit must be a string literal/],
  ["date_trunc('day', i) = ts", 19, /argument 2 of date_trunc\(\) must be timestamp, got number/],
  ['extract(eon from ts) = 1', 9, /unknown extract field 'eon'/],
  ['extract(year from s) = 1', 19, /argument 2 of extract\(\) must be timestamp, got text/],
];

for (const [src, position, message] of typeErrors) {
  test(`type error at ${position}: ${src}`, (t) => {
    const err = t.throws(() => Expression.parse(src).bind(batch.schema)) as SynqxError;
    t.is(err.code, 'VALIDATION_FAILED');
    t.regex(err.message, message);
    const problem = (err.details as ExpressionProblem[])[0]!;
    t.is(problem.position, position);
    t.is(problem.error_type, 'expression_type');
  });
}

test('now() is the run start from the context, the same for every row and batch', (t) => {
  t.deepEqual(rows('now()'), Array(4).fill('2025-03-15 10:30:45.123'));
  t.deepEqual(Array.from(Expression.parse('ts < now()').predicateMask(batch, { now: NOW })), [1, 1, 0, 1]);
  t.throws(() => Expression.parse('now()').evaluate(batch), { message: /now\(\) needs the run's start time/ });
});

test('case and coalesce evaluate a branch only on the rows that reach it, as in SQL', (t) => {
  // Row 4 holds 'x1', which cannot be cast; the branch that casts never sees it.
  t.deepEqual(rows("case when n like '%x%' then -1 else cast(n as int) end"), [12, -7, N, -1]);
  t.deepEqual(rows("case when i = -2 then 0 when 8 / (i + 2) > 1 then 1 else 2 end"), [1, 0, 2, 1]);
  // An int4 branch next to bigint ones keeps the result exact (int64), as Postgres' bigint.
  t.deepEqual(rows('coalesce(case when i > 0 then i end, cast(n as bigint), big)'), [1n, -7n, N, 4n]);
  t.deepEqual(rows('coalesce(case when i > 0 then big end, big * 0)'), [1n, 0n, N, -5n]);
  t.deepEqual(rows("case when b then concat(s, '!') when big > 5 then lower(s) end"), [' Hello !', 'wörld', N, 'a-b-a!']);
  t.deepEqual(rows("case when i > 1 then big when b then big + 0 end"), [1n, N, N, -5n]);
  const err = t.throws(() => rows("case when i < 4 then cast(s as int) end")) as SynqxError;
  t.regex(err.message, /cannot cast ' Hello ' to int \(row 1 of the batch/);
});

test('a case on a column of a type expressions cannot read still answers is null per row', (t) => {
  const b = makeBatch({
    i: col(new Int32(), [1, 2, 3]),
    raw: col(new List(new Field('item', new Utf8(), true)), [['a'], null, []]),
  });
  const v = Expression.parse("case when i > 1 then raw is null else false end").evaluate(b);
  const get = cellGetter(v);
  t.deepEqual([0, 1, 2].map(get), [false, true, false]);
});

test('a cast failing inside a case branch reports the row of the batch, not of the branch', (t) => {
  const err = t.throws(() => rows("case when i > 1 then cast(n as int) end")) as SynqxError;
  t.is(err.message, "cannot cast 'x1' to int (row 4 of the batch, at position 22)");
  const nested = t.throws(() => rows("case when i is not null then case when i > 0 then cast(n as int) end end")) as SynqxError;
  t.regex(nested.message, /cannot cast 'x1' to int \(row 4 of the batch/);
});

test("pandas filter_query dialect: double quotes are strings, backticks name columns, comparisons chain", (t) => {
  const pandas = (src: string) => {
    const v = Expression.parse(src, 'pandas').evaluate(batch, { now: NOW });
    const get = cellGetter(v);
    return Array.from({ length: batch.numRows }, (_, i) => get(i));
  };
  t.deepEqual(pandas('s == "wörld" | i == 4'), [false, true, N, true]);
  t.deepEqual(pandas('`s` == "a-b-a"'), [false, false, N, true]);
  t.deepEqual(pandas('-3 < i <= 1'), [true, true, N, false]);
  t.deepEqual(pandas('0 < i < 5 < big'), [false, false, N, false]);
  t.deepEqual(pandas('0 < f < 1 & b'), [false, false, N, true]);
  // In SQL, double quotes name a column; chains are an error that says how to write them.
  t.throws(() => Expression.parse('-3 < i <= 1'), { message: /cannot follow a comparison/ });
  t.throws(() => Expression.parse('s == "wörld"').evaluate(batch, { now: NOW }), { message: /column "wörld" not found/ });
});
