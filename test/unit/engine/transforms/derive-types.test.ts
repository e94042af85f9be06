import test from 'ava';
import { Bool, DateDay, Float32, Float64, Int16, Int32, Int64, makeVector, Null, TimestampMicrosecond, Utf8, type RecordBatch } from 'apache-arrow';
import { FIELD_META_PG_TYPE, FIELD_META_PK_POSITION } from '../../../../src/core/data-ports.js';
import { SynqxError } from '../../../../src/core/errors.js';
import { valToData } from '../../../../src/engine/transforms/derive-columns.js';
import { Expression } from '../../../../src/engine/transforms/expr/expression.js';
import { buildTransform } from '../../../../src/engine/transforms/registry.js';
import { splitOutput, type TransformContext } from '../../../../src/engine/transforms/transform.js';
import { col, makeBatch, rowsOf } from '../../../helpers/arrow-batches.js';

// derive gives each result the type SQL gives the expression (expr/sql-types.ts): checked as the Arrow
// type of the output column (what the Postgres load turns into a column type) and its values.

const ctx: TransformContext = { now: new Date('2024-01-01T00:00:00Z'), nodeId: 'n1' };
const day = (y: number, m: number, d: number) => new Date(Date.UTC(y, m - 1, d));

const input = () =>
  makeBatch({
    id: col(new Int32(), [1, 2, null], { [FIELD_META_PK_POSITION]: '1', [FIELD_META_PG_TYPE]: 'integer' }),
    age: col(new Int32(), [30, null, 2147483647]),
    small: col(new Int16(), [1, -2, 3]),
    big: col(new Int64(), [1n, 2n ** 40n, null]),
    qty: col(new Int32(), [3, 4, null]),
    r: col(new Float32(), [1.5, 2, null]),
    f: col(new Float64(), [1.5, -0.5, null]),
    txt: col(new Utf8(), ['12', '-3', null]),
    d: col(new DateDay(), [day(2024, 1, 31), null, day(1999, 12, 31)]),
    ts: col(new TimestampMicrosecond(), [Date.UTC(2024, 0, 15, 12), null, 0]),
    tz: col(new TimestampMicrosecond('UTC'), [Date.UTC(2024, 0, 15, 12), null, 0]),
    amount: col(new Utf8(), ['10.50', null, '12345678901234567.89'], { [FIELD_META_PG_TYPE]: 'numeric(20,2)' }),
    nothing: col(new Null(), [null, null, null]),
  });

function derive(columns: Record<string, string>, batch: RecordBatch = input()): RecordBatch {
  return splitOutput(buildTransform('derive', { columns })(batch, ctx)).kept!;
}

/** The Arrow type and the values of one derived column. */
function one(expression: string, batch?: RecordBatch): { type: string; values: unknown[] } {
  const out = derive({ x: expression }, batch);
  const field = out.schema.fields.find((f) => f.name === 'x')!;
  return { type: String(field.type), values: rowsOf(out).map((r) => r['x']) };
}

const INT16 = String(new Int16());
const INT32 = String(new Int32());
const INT64 = String(new Int64());
const FLOAT32 = String(new Float32());
const FLOAT64 = String(new Float64());
const DATE = String(new DateDay());
const TIMESTAMP = String(new TimestampMicrosecond());
const TIMESTAMPTZ = String(new TimestampMicrosecond('UTC'));
const TEXT = String(new Utf8());
const BOOL = String(new Bool());

const N = null;
const D = (y: number, m: number, d: number) => day(y, m, d).getTime();

const cases: [string, string, unknown[]][] = [
  // casts name their type
  ['cast(txt as int)', INT32, [12, -3, N]],
  ['cast(txt as integer)', INT32, [12, -3, N]],
  ['cast(txt as smallint)', INT16, [12, -3, N]],
  ['cast(txt as int2)', INT16, [12, -3, N]],
  ['cast(txt as bigint)', INT64, [12n, -3n, N]],
  ['cast(txt as real)', FLOAT32, [12, -3, N]],
  ['cast(txt as float4)', FLOAT32, [12, -3, N]],
  ['cast(txt as double precision)', FLOAT64, [12, -3, N]],
  ['cast(f as int)', INT32, [2, -1, N]],
  ['cast(id as text)', TEXT, ['1', '2', N]],
  ['cast(id > 1 as text)', TEXT, ['false', 'true', N]],
  ['cast(qty as bool)', BOOL, [true, true, N]],
  ["cast('2024-02-03 10:00' as date)", DATE, Array(3).fill(D(2024, 2, 3))],
  ['cast(ts as date)', DATE, [D(2024, 1, 15), N, 0]],
  ["cast('2024-02-03 10:00' as timestamp)", TIMESTAMP, Array(3).fill(Date.UTC(2024, 1, 3, 10))],
  ["cast('2024-02-03 10:00' as timestamptz)", TIMESTAMPTZ, Array(3).fill(Date.UTC(2024, 1, 3, 10))],
  ["cast('2024-02-03 10:00' as timestamp with time zone)", TIMESTAMPTZ, Array(3).fill(Date.UTC(2024, 1, 3, 10))],
  ['cast(d as timestamp)', TIMESTAMP, [D(2024, 1, 31), N, D(1999, 12, 31)]],
  ['cast((qty) as float(24))', FLOAT32, [3, 4, N]],
  ['cast(qty as float(53))', FLOAT64, [3, 4, N]],
  // typed literals are casts too
  ["date '2024-02-03'", DATE, Array(3).fill(D(2024, 2, 3))],
  ["timestamp '2024-02-03 10:00'", TIMESTAMP, Array(3).fill(Date.UTC(2024, 1, 3, 10))],
  ["TIMESTAMPTZ '2024-02-03 10:00+02'", TIMESTAMPTZ, Array(3).fill(Date.UTC(2024, 1, 3, 8))],
  // numeric is computed in float64, so it is double precision
  ['cast(txt as numeric(12, 2))', FLOAT64, [12, -3, N]],
  // integer arithmetic: the wider operand, as in Postgres; `/` is true division
  ['qty * 2', INT32, [6, 8, N]],
  ['qty % 2', INT32, [1, 0, N]],
  ['qty - small', INT32, [2, 6, N]],
  ['small + small', INT16, [2, -4, 6]],
  ['small + 1', INT32, [2, -1, 4]],
  ['-small', INT16, [-1, 2, -3]],
  ['qty + big', INT64, [4n, 2n ** 40n + 4n, N]],
  ['qty / 2', FLOAT64, [1.5, 2, N]],
  ['qty + 0.5', FLOAT64, [3.5, 4.5, N]],
  ['qty + f', FLOAT64, [4.5, 3.5, N]],
  ['r * r', FLOAT32, [2.25, 4, N]],
  ['r + 1', FLOAT64, [2.5, 3, N]],
  ['amount + 1', FLOAT64, [11.5, N, 12345678901234567.89 + 1]],
  // literals: int4 when it fits, else int8; decimals are double precision
  ['7', INT32, [7, 7, 7]],
  ['3000000000', INT64, [3000000000n, 3000000000n, 3000000000n]],
  ['1.5', FLOAT64, [1.5, 1.5, 1.5]],
  ["'x'", TEXT, ['x', 'x', 'x']],
  // column references keep the column's type
  ['d', DATE, [D(2024, 1, 31), N, D(1999, 12, 31)]],
  ['ts', TIMESTAMP, [Date.UTC(2024, 0, 15, 12), N, 0]],
  ['tz', TIMESTAMPTZ, [Date.UTC(2024, 0, 15, 12), N, 0]],
  ['small', INT16, [1, -2, 3]],
  ['r', FLOAT32, [1.5, 2, N]],
  ['(qty)', INT32, [3, 4, N]],
  // coalesce / case: the common type
  ["coalesce(d, cast('2000-01-01' as date))", DATE, [D(2024, 1, 31), D(2000, 1, 1), D(1999, 12, 31)]],
  ['coalesce(d, ts)', TIMESTAMP, [D(2024, 1, 31), N, D(1999, 12, 31)]],
  ['coalesce(d, tz)', TIMESTAMPTZ, [D(2024, 1, 31), N, D(1999, 12, 31)]],
  ['coalesce(qty, 0)', INT32, [3, 4, 0]],
  ['coalesce(small, small)', INT16, [1, -2, 3]],
  ['coalesce(qty, big)', INT64, [3n, 4n, N]],
  ['coalesce(qty, r)', FLOAT32, [3, 4, N]],
  ['coalesce(qty, f)', FLOAT64, [3, 4, N]],
  ['case when id > 1 then small else qty end', INT32, [3, -2, N]],
  ['case when id > 1 then d end', DATE, [N, N, N]],
  ['case when id > 1 then qty else null end', INT32, [N, 4, N]],
  // an untyped NULL is text, as in Postgres; a typed one keeps its type
  ['null', TEXT, [N, N, N]],
  ['case when id > 1 then null end', TEXT, [N, N, N]],
  ['coalesce(null, null)', TEXT, [N, N, N]],
  ['nothing', TEXT, [N, N, N]],
  ['cast(null as int)', INT32, [N, N, N]],
  ['cast(null as date)', DATE, [N, N, N]],
  ['case when false then 1 end', INT32, [N, N, N]],
  // functions
  ['abs(small)', INT16, [1, 2, 3]],
  ['abs(r)', FLOAT32, [1.5, 2, N]],
  ['round(qty)', INT32, [3, 4, N]],
  ['floor(big)', INT64, [1n, 2n ** 40n, N]],
  ['ceil(f)', FLOAT64, [2, -0, N]],
  ['round(f, 1)', FLOAT64, [1.5, -0.5, N]],
  ['length(txt)', INT32, [2, 2, N]],
  ['upper(txt)', TEXT, ['12', '-3', N]],
  ["txt || 'a'", TEXT, ['12a', '-3a', N]],
  ['extract(year from d)', FLOAT64, [2024, N, 1999]],
  ["date_trunc('month', d)", TIMESTAMPTZ, [D(2024, 1, 1), N, D(1999, 12, 1)]],
  ["date_trunc('month', ts)", TIMESTAMP, [D(2024, 1, 1), N, 0]],
  ["date_trunc('month', tz)", TIMESTAMPTZ, [D(2024, 1, 1), N, 0]],
  ['now()', TIMESTAMPTZ, Array(3).fill(ctx.now.getTime())],
  // conditions
  ['qty > 3', BOOL, [false, true, N]],
  ['txt is null', BOOL, [false, false, true]],
];

for (const [expression, type, values] of cases) {
  test(`derive ${expression} → ${type}`, (t) => {
    const got = one(expression);
    t.is(got.type, type);
    t.deepEqual(got.values, values);
  });
}

test('a bare column reference is the column itself: its data and recorded source type, without the primary-key position', (t) => {
  const batch = input();
  const out = derive({ copy: 'amount', id2: 'id' }, batch);
  const copy = out.schema.fields.find((f) => f.name === 'copy')!;
  t.is(copy.metadata.get(FIELD_META_PG_TYPE), 'numeric(20,2)');
  t.deepEqual(rowsOf(out).map((r) => r['copy']), ['10.50', null, '12345678901234567.89']);
  t.is(out.getChild('copy')!.data[0], batch.getChild('amount')!.data[0], 'the same Arrow data, not a copy');
  const id2 = out.schema.fields.find((f) => f.name === 'id2')!;
  t.false(id2.metadata.has(FIELD_META_PK_POSITION));
  t.is(id2.metadata.get(FIELD_META_PG_TYPE), 'integer');
  // A computed column carries no source type.
  t.is(derive({ x: 'amount + 0' }).schema.fields.find((f) => f.name === 'x')!.metadata.size, 0);
});

function dataError(t: import('ava').ExecutionContext, fn: () => unknown, pattern: RegExp): void {
  const err = t.throws(fn) as SynqxError;
  t.true(err instanceof SynqxError, String(err));
  t.is(err.code, 'DATA_ERROR');
  t.regex(err.message, pattern);
}

test('integer results out of their range fail as in Postgres, at the operator, with the row', (t) => {
  dataError(t, () => one('age + 1'), /^integer out of range: 2147483648 \(row 3 of the batch, at position 5\)/);
  // Checked at each operator, not only on the result: `age * 2` overflows before `/ 4` would bring it back.
  dataError(t, () => one('age * 2 / 4'), /^integer out of range: 4294967294 \(row 3 of the batch, at position 5\)/);
  const smalls = makeBatch({ a: col(new Int16(), [32767, 1]) });
  dataError(t, () => one('a + a', smalls), /^smallint out of range: 65534 \(row 1 of the batch, at position 3\)/);
  dataError(t, () => one('-a - a', makeBatch({ a: col(new Int16(), [1, 32767]) })), /^smallint out of range: -65534 \(row 2/);
  // The same check applies where the result is not stored: a filter condition fails the same way.
  dataError(t, () => Expression.parse('age + 1 > 0').predicateMask(input()), /^integer out of range: 2147483648 \(row 3/);
  // A NULL row is never out of range, and widening first avoids the overflow, as in SQL.
  t.deepEqual(one('cast(age as bigint) + 1').values, [31n, null, 2147483648n]);
  t.deepEqual(one('case when age < 100 then age + 1 end').values, [31, null, null]);
});

test('constant integer overflow is found when the expression is bound', (t) => {
  const err = t.throws(() => one('2147483647 + 1')) as SynqxError;
  t.is(err.code, 'VALIDATION_FAILED');
  t.regex(err.message, /integer out of range/);
  t.deepEqual(one('2147483647 + 1.0').values, [2147483648, 2147483648, 2147483648]);
});

test('casts to smallint and real check their narrower range, naming the row', (t) => {
  const wide = makeBatch({ s: col(new Utf8(), ['1', '70000']), f: col(new Float64(), [1, 1e39]) });
  dataError(t, () => one('cast(s as smallint)', wide), /^cannot cast '70000' to smallint: out of range for smallint \(row 2 of the batch/);
  dataError(t, () => one('cast(f as real)', wide), /^cannot cast 1e\+39 to real: out of range for real \(row 2 of the batch/);
  t.deepEqual(one('cast(s as int)', wide).values, [1, 70000]);
});

test('a value its integer column cannot hold is a DATA_ERROR naming the derived column and row', (t) => {
  // bigint arithmetic runs in float64, exact only up to 2^53: past it the result is refused, not rounded.
  const big = makeBatch({ b: col(new Int64(), [1n, 2n ** 60n]) });
  dataError(t, () => one('b * 2', big), /^derive: column "x": bigint result 2305843009213694000 is past ±2\^53.*\(row 2 of the batch\)/);
  t.deepEqual(one('b', big).values, [1n, 2n ** 60n], 'a bare reference stays exact');
  t.deepEqual(one('b + 0', makeBatch({ b: col(new Int64(), [2n ** 53n - 1n]) })).values, [2n ** 53n - 1n]);
});

test('valToData refuses a fractional or out-of-range value for an integer column, naming the column and row', (t) => {
  const num = (values: number[]) => ({ s: false, type: 'num', values: Float64Array.from(values), valid: null }) as const;
  dataError(t, () => valToData(num([1, 2.5]), 2, 'int4', 'qty'), /^derive: column "qty": 2\.5 is not an integer \(row 2 of the batch\)$/);
  dataError(t, () => valToData(num([40000]), 1, 'int2', 'qty'), /^derive: column "qty": smallint out of range: 40000 \(row 1 of the batch\)$/);
  dataError(t, () => valToData(num([2 ** 31]), 1, 'int4', 'qty'), /integer out of range: 2147483648/);
  dataError(t, () => valToData(num([0.5]), 1, 'int8', 'qty'), /0\.5 is not an integer/);
  // A NULL row is not looked at; a scalar is broadcast; a hint the value cannot take is ignored.
  const withNull = { s: false, type: 'num', values: Float64Array.from([1, 0.5]), valid: Uint8Array.from([1, 0]) } as const;
  t.deepEqual(Array.from(makeVector(valToData(withNull, 2, 'int4', 'qty'))), [1, null]);
  t.deepEqual(Array.from(makeVector(valToData({ s: true, type: 'num', value: 7 }, 3, 'int2', 'qty'))), [7, 7, 7]);
  t.is(String(valToData({ s: true, type: 'str', value: 'a' }, 1, 'int4', 'qty').type), TEXT);
});
