import test from 'ava';
import { Bool, DateDay, Float64, Int32, Int64, Null, TimestampMicrosecond, Utf8, List, Field } from 'apache-arrow';
import { SynqxError } from '../../../../../src/core/errors.js';
import { FIELD_META_PG_TYPE } from '../../../../../src/core/data-ports.js';
import type { ExpressionProblem } from '../../../../../src/engine/transforms/expr/expr-error.js';
import { Expression } from '../../../../../src/engine/transforms/expr/expression.js';
import { col, makeBatch } from '../../../../helpers/arrow-batches.js';

const T = true;
const F = false;
const N = null;

// Row 2 is NULL in every column.
const batch = makeBatch({
  i: col(new Int32(), [1, 2, null, 4]),
  f: col(new Float64(), [1.5, -2, null, 0.25]),
  s: col(new Utf8(), ['DE', 'fr', null, "it's"]),
  b: col(new Bool(), [true, false, null, true]),
  big: col(new Int64(), [1n, 9007199254740993n, null, -5n]),
  ts: col(new TimestampMicrosecond(), [Date.UTC(2024, 0, 1), Date.UTC(2024, 5, 1), null, Date.UTC(2023, 11, 31, 23, 59, 59)]),
  d: col(new DateDay(), [new Date(Date.UTC(2024, 0, 1)), new Date(Date.UTC(2024, 0, 2)), null, new Date(Date.UTC(1999, 11, 31))]),
  amount: col(new Utf8(), ['10.50', '-3', null, '100'], { [FIELD_META_PG_TYPE]: 'numeric(12,2)' }),
  nothing: col(new Null(), [null, null, null, null]),
  tags: col(new List(new Field('item', new Utf8(), true)), [['a'], [], null, ['b', 'c']]),
});

/** Three-valued result per row. */
function truth(src: string): (boolean | null)[] {
  const v = Expression.parse(src).evaluate(batch);
  const n = batch.numRows;
  if (v.s) return Array.from({ length: n }, () => (v.value === null ? null : Boolean(v.value)));
  if (v.type !== 'bool') throw new Error(`not boolean: ${v.type}`);
  return Array.from({ length: n }, (_, i) => (v.valid && !v.valid[i] ? null : v.values[i] === 1));
}

const cases: [string, (boolean | null)[]][] = [
  // comparisons, NULL propagation
  ['i > 1', [F, T, N, T]],
  ['i >= 2', [F, T, N, T]],
  ['i != 2', [T, F, N, T]],
  ['i <> 2', [T, F, N, T]],
  ['1 < i', [F, T, N, T]],
  ['f > i', [T, F, N, F]],
  ['b = true', [T, F, N, T]],
  ['(i > 1) = b', [F, F, N, T]],
  ['i = null', [N, N, N, N]],
  ['null = null', [N, N, N, N]],
  ['1 < 2', [T, T, T, T]],
  // three-valued and / or / not
  ['i >= 2 and b', [F, F, N, T]],
  ['i = 1 or b', [T, F, N, T]],
  ['false and i > 0', [F, F, F, F]],
  ['true or i > 0', [T, T, T, T]],
  ['i > 0 or null', [T, T, N, T]],
  ['i > 0 and null', [N, N, N, N]],
  ['not b', [F, T, N, F]],
  ['not i > 1 and b', [T, F, N, F]],
  ["i > 1 and i < 3 or s = 'DE'", [T, T, N, F]],
  // is null
  ['i is null', [F, F, T, F]],
  ['i is not null', [T, T, F, T]],
  ['nothing is null', [T, T, T, T]],
  ['tags is not null', [T, T, F, T]],
  // in
  ['i in (1, 4)', [T, F, N, T]],
  ['i in (1, null)', [T, N, N, N]],
  ['i not in (1, null)', [F, N, N, N]],
  ['i not in (1, 2)', [F, F, N, T]],
  ['i in (f, 2)', [F, T, N, F]],
  ["s in ['DE', 'fr']", [T, T, N, F]],
  ["s == ['fr']", [F, T, N, F]],
  ["s != ['fr']", [T, F, N, T]],
  ['b in (false)', [F, T, N, F]],
  // between
  ['i between 2 and 4', [F, T, N, T]],
  ['i not between 2 and 3', [T, F, N, T]],
  ['i between null and 3', [N, N, N, F]],
  // strings and like
  ["s = 'it''s'", [F, F, N, T]],
  ["s > 'E'", [F, T, N, T]],
  ["'DE' = s", [T, F, N, F]],
  ["s like 'D%'", [T, F, N, F]],
  ["s ilike 'F_'", [F, T, N, F]],
  ["s not like '%''%'", [T, T, N, F]],
  ["s like 'it_s'", [F, F, N, T]],
  ["s like 'D\\%'", [F, F, N, F]],
  ["s like 'D!%' escape '!'", [F, F, N, F]],
  ["s like null", [N, N, N, N]],
  // the original pandas filter_query spellings
  ["s == 'DE' & i < 2", [T, F, N, F]],
  ["i > 3 | s == 'fr'", [F, T, N, T]],
  ['~(i > 1)', [T, F, N, F]],
  ['"i" = 1', [T, F, N, F]],
  ['`i` = 1', [T, F, N, F]],
  // arithmetic
  ['i + 1 = 2', [T, F, N, F]],
  ['i * 2 - 1 > 2', [F, T, N, T]],
  ['i % 2 = 0', [F, T, N, T]],
  ['-i < -1', [F, T, N, T]],
  ['i / 2 = 0.5', [T, F, N, F]],
  ['f * 4 = 1', [F, F, N, T]],
  ['i + null > 0', [N, N, N, N]],
  // int64 stays exact
  ['big = 9007199254740993', [F, T, N, F]],
  ['big = 9007199254740992', [F, F, N, F]],
  ['big < 0', [F, F, N, T]],
  ['big in (1, -5)', [T, F, N, T]],
  ['big > i', [F, T, N, F]],
  // timestamps and dates against literals
  ["ts > '2024-03-01'", [F, T, N, F]],
  ["ts >= '2023-12-31 23:59:59'", [T, T, N, T]],
  ["ts < '2024-01-01T01:30:00+01:00'", [T, F, N, T]],
  ["d = '2024-01-02'", [F, T, N, F]],
  ["d between '1999-01-01' and '2024-01-01'", [T, F, N, T]],
  ['d < ts', [F, T, N, T]],
  // Postgres numeric (exact text) compares as a number
  ['amount > 5', [T, F, N, T]],
  ['amount * 2 = 21', [T, F, N, F]],
];

for (const [src, expected] of cases) {
  test(`evaluates ${src}`, (t) => {
    t.deepEqual(truth(src), expected);
  });
}

test('the original README condition on a small users batch', (t) => {
  const users = makeBatch({
    age: col(new Int32(), [30, 25, 40, null, 29]),
    country: col(new Utf8(), ['DE', 'DE', 'US', 'DE', null]),
  });
  const mask = Expression.parse("age > 28 and country == 'DE'").predicateMask(users);
  t.deepEqual(Array.from(mask), [1, 0, 0, 0, 0]);
});

test('predicateMask turns NULL into "drop the row"', (t) => {
  t.deepEqual(Array.from(Expression.parse('i > 1').predicateMask(batch)), [0, 1, 0, 1]);
  t.deepEqual(Array.from(Expression.parse('null').predicateMask(batch)), [0, 0, 0, 0]);
  t.deepEqual(Array.from(Expression.parse('true').predicateMask(batch)), [1, 1, 1, 1]);
});

const typeErrors: [string, number, RegExp][] = [
  ['nope > 1', 1, /column "nope" not found; the input has: i, f, s/],
  ['"DE" = s', 1, /string literals take single quotes \('DE'\)/],
  ['s > 1', 5, /cannot compare text with number/],
  ['i and b', 1, /'and' needs boolean operands, got number/],
  ['s + 1', 1, /operator '\+' needs numbers, got text/],
  ['not i', 5, /'not' needs a boolean, got number/],
  ["ts > 'yesterday'", 6, /'yesterday' is not a date or timestamp/],
  ["ts > '2024-02-30'", 6, /is not a date or timestamp/],
  ['s like i', 8, /the like pattern must be a string literal/],
  ["i like 'x'", 1, /'like' needs text, got number/],
  ['tags = 1', 1, /column "tags" has type List<Utf8>, which expressions cannot use yet/],
  ['i + 1', 1, /a condition must be boolean, but this expression is number/],
  ['1 / 0 > i', 3, /division by zero/],
];

for (const [src, position, message] of typeErrors) {
  test(`type error at ${position}: ${src}`, (t) => {
    const err = t.throws(() => Expression.parse(src).predicateMask(batch)) as SynqxError;
    t.true(err instanceof SynqxError);
    t.regex(err.message, message);
    t.regex(err.message, new RegExp(`at position ${position}\\)`));
    if (err.code === 'VALIDATION_FAILED') {
      const problem = (err.details as ExpressionProblem[])[0]!;
      t.is(problem.position, position);
      t.is(problem.error_type, 'expression_type');
    } else {
      t.is(err.code, 'DATA_ERROR');
    }
  });
}

test('division by zero in a row is a DATA_ERROR with the operator position; NULL rows are skipped', (t) => {
  const zeros = makeBatch({ x: col(new Int32(), [1, null, 0]), y: col(new Int32(), [1, 0, 2]) });
  t.deepEqual(Array.from(Expression.parse('x / 1 >= 0').predicateMask(zeros)), [1, 0, 1]);
  // Row 1 divides by zero but x is NULL there: NULL, not an error.
  t.deepEqual(Array.from(Expression.parse('x / y >= 0').predicateMask(zeros)), [1, 0, 1]);
  const err = t.throws(() => Expression.parse('y / x > 0').predicateMask(zeros)) as SynqxError;
  t.is(err.code, 'DATA_ERROR');
  t.regex(err.message, /division by zero \(at position 3\)/);
});

test('binding is cached per schema and re-done for a different one', (t) => {
  const e = Expression.parse('x > 1');
  const a = makeBatch({ x: col(new Int32(), [1, 2]) });
  const b = makeBatch({ x: col(new Utf8(), ['a', 'b']) });
  t.deepEqual(Array.from(e.predicateMask(a)), [0, 1]);
  t.is(e.bind(a.schema), e.bind(makeBatch({ x: col(new Int32(), [5]) }).schema));
  t.throws(() => e.predicateMask(b), { message: /cannot compare text with number/ });
});

test('columns lists what an expression reads', (t) => {
  t.deepEqual(Expression.parse("a > 1 and (b in (c, 2) or a like 'x')").columns, ['a', 'b', 'c']);
});
