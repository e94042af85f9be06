import test from 'ava';
import { Bool, Float64, Int32, Int64, TimestampMicrosecond, Utf8, type RecordBatch } from 'apache-arrow';
import { FIELD_META_PG_TYPE } from '../../../../src/core/data-ports.js';
import { SynqxError, type FieldProblem } from '../../../../src/core/errors.js';
import { buildTransform, validateTransformConfig } from '../../../../src/engine/transforms/registry.js';
import { ERROR_COLUMN } from '../../../../src/engine/transforms/rejected-rows.js';
import { splitOutput, type TransformContext } from '../../../../src/engine/transforms/transform.js';
import { col, makeBatch, rowsOf } from '../../../helpers/arrow-batches.js';

const ctx: TransformContext = { now: new Date('2024-01-01T00:00:00Z'), nodeId: 'v' };
const Q = { on_error: 'quarantine', quarantine_asset_id: 9 } as const;

const orders = () =>
  makeBatch({
    id: col(new Int32(), [1, 2, 3, 4, 5, 2]),
    email: col(new Utf8(), ['a@x.io', null, 'bad', 'c@y.io', 'd@z.io', 'e@x.io']),
    qty: col(new Int32(), [5, 10, -1, 200, null, 3]),
    price: col(new Utf8(), ['9.99', '100.00', '1.50', '0.01', '5', '12.345'], { [FIELD_META_PG_TYPE]: 'numeric(10,3)' }),
    status: col(new Utf8(), ['open', 'open', 'shipped', 'lost', 'open', null]),
    big: col(new Int64(), [9007199254740993n, 1n, 2n, 3n, 4n, 5n]),
    at: col(new TimestampMicrosecond('UTC'), [Date.UTC(2024, 0, 1), Date.UTC(2023, 5, 1), null, Date.UTC(2024, 2, 1), Date.UTC(2024, 0, 2), Date.UTC(2025, 0, 1)]),
    ok: col(new Bool(), [true, false, null, true, true, true]),
  });

function quarantine(rules: unknown[], batch: RecordBatch = orders()) {
  return splitOutput(buildTransform('validate', { rules, ...Q })(batch, ctx));
}

const ids = (b: RecordBatch | null) => rowsOf(b).map((r) => r['id']);
const reasons = (b: RecordBatch | null) => rowsOf(b).map((r) => r[ERROR_COLUMN]);

test('not_null rejects NULL rows with a reason naming rule and column; kept and rejected partition the input', (t) => {
  const { kept, rejected } = quarantine([{ column: 'email', rule: 'not_null' }]);
  t.deepEqual(ids(kept), [1, 3, 4, 5, 2]);
  t.deepEqual(ids(rejected), [2]);
  t.deepEqual(reasons(rejected), ['validate rule not_null failed on column email: value is NULL']);
  // Original values and types travel with the rejected row; the reason column is non-nullable text.
  t.like(rowsOf(rejected)[0], { email: null, qty: 10, price: '100.00', status: 'open', big: 1n });
  const f = rejected!.schema.fields.at(-1)!;
  t.is(f.name, ERROR_COLUMN);
  t.false(f.nullable);
  t.is(rejected!.schema.fields.find((x) => x.name === 'price')!.metadata.get(FIELD_META_PG_TYPE), 'numeric(10,3)');
});

test('min and max: NULL passes, numbers compare numerically (numeric text and int64 exactly), reasons show the value', (t) => {
  const { kept, rejected } = quarantine([
    { column: 'qty', rule: 'min', value: 0 },
    { column: 'qty', rule: 'max', value: 100 },
    { column: 'price', rule: 'max', value: 50 },
    { column: 'big', rule: 'max', value: 9007199254740992 },
  ]);
  t.deepEqual(ids(kept), [5, 2]);
  t.deepEqual(reasons(rejected), [
    'validate rule max failed on column big: value 9007199254740993 is greater than 9007199254740992',
    'validate rule max failed on column price: value 100 is greater than 50',
    'validate rule min failed on column qty: value -1 is less than 0',
    'validate rule max failed on column qty: value 200 is greater than 100',
  ]);
});

test('min on a timestamp column takes a timestamp literal; on text compares text', (t) => {
  const { rejected } = quarantine([{ column: 'at', rule: 'min', value: '2024-01-01' }]);
  t.deepEqual(ids(rejected), [2]);
  t.regex(reasons(rejected)[0] as string, /value '?2023-06-01 00:00:00'? is less than '2024-01-01'/);
  t.deepEqual(ids(quarantine([{ column: 'status', rule: 'max', value: 'open' }]).rejected), [3]);
});

test('a literal of the wrong type for the column is a DATA_ERROR on the first (empty) batch', (t) => {
  const fn = buildTransform('validate', { rules: [{ column: 'qty', rule: 'min', value: 'ten' }], ...Q });
  const err = t.throws(() => fn(orders().slice(0, 0), ctx)) as SynqxError;
  t.is(err.code, 'DATA_ERROR');
  t.regex(err.message, /validate rule min on column qty: "ten" is not a number/);
  const missing = t.throws(() => buildTransform('validate', { rules: [{ column: 'nope', rule: 'not_null' }] })(orders().slice(0, 0), ctx)) as SynqxError;
  t.regex(missing.message, /column "nope" not found; the input has: id, email/);
  const regexOnInt = t.throws(() => buildTransform('validate', { rules: [{ column: 'qty', rule: 'regex', pattern: 'x' }] })(orders(), ctx)) as SynqxError;
  t.regex(regexOnInt.message, /validate rule regex on column qty: the column is not text/);
});

test('regex (NULL passes), in_list and unique_in_batch (first occurrence kept, NULLs never duplicates)', (t) => {
  const re = quarantine([{ column: 'email', rule: 'regex', pattern: '^[^@]+@[^@]+$' }]);
  t.deepEqual(ids(re.rejected), [3]);
  t.deepEqual(reasons(re.rejected), ["validate rule regex failed on column email: value 'bad' does not match /^[^@]+@[^@]+$/"]);
  const list = quarantine([{ column: 'status', rule: 'in_list', values: ['open', 'shipped'] }]);
  t.deepEqual(ids(list.rejected), [4]);
  t.is(reasons(list.rejected)[0], "validate rule in_list failed on column status: value 'lost' is not one of 'open', 'shipped'");
  t.deepEqual(ids(quarantine([{ column: 'qty', rule: 'in_list', values: [5, 10, 3] }]).kept), [1, 2, 5, 2]);
  t.deepEqual(ids(quarantine([{ column: 'ok', rule: 'in_list', values: [true] }]).rejected), [2]);
  const uniq = quarantine([{ column: 'id', rule: 'unique_in_batch' }]);
  t.deepEqual(ids(uniq.kept), [1, 2, 3, 4, 5]);
  t.deepEqual(reasons(uniq.rejected), ['validate rule unique_in_batch failed on column id: value 2 already appears in row 2 of the batch']);
  const nulls = makeBatch({ id: col(new Int32(), [null, null, 1]) });
  t.is(quarantine([{ column: 'id', rule: 'unique_in_batch' }], nulls).rejected, null);
});

test('expression rules use the expression language; false and NULL fail; all failed rules are listed', (t) => {
  const { kept, rejected } = quarantine([
    { rule: 'expression', condition: 'qty * 2 < 15' },
    { column: 'email', rule: 'not_null' },
  ]);
  t.deepEqual(ids(kept), [1, 3, 2]);
  t.deepEqual(reasons(rejected), [
    'validate rule expression failed: qty * 2 < 15 is not true; validate rule not_null failed on column email: value is NULL',
    'validate rule expression failed: qty * 2 < 15 is not true',
    'validate rule expression failed: qty * 2 < 15 is not true',
  ]);
  t.deepEqual(ids(rejected), [2, 4, 5]);
});

test("on_error 'fail' (the default) fails on the first failing row, naming row, rule, column and value", (t) => {
  const fn = buildTransform('validate', { rules: [{ column: 'qty', rule: 'min', value: 0 }, { column: 'email', rule: 'not_null' }] });
  const err = t.throws(() => fn(orders(), ctx)) as SynqxError;
  t.is(err.code, 'DATA_ERROR');
  t.is(err.message, "validate: row 2 of the batch: validate rule not_null failed on column email: value is NULL (set on_error: 'quarantine' to divert failing rows instead)");
  t.deepEqual(err.details, { row: 2, reason: 'validate rule not_null failed on column email: value is NULL' });
  // Long values are truncated in messages.
  const long = makeBatch({ s: col(new Utf8(), ['y'.repeat(500)]) });
  const e2 = t.throws(() => buildTransform('validate', { rules: [{ column: 's', rule: 'in_list', values: ['a'] }] })(long, ctx)) as SynqxError;
  t.true(e2.message.length < 300);
  t.regex(e2.message, /value 'y{79}… is not one of 'a'/);
});

test('a batch where every row passes comes back as the input itself; an empty batch stays empty', (t) => {
  const b = orders();
  t.is(buildTransform('validate', { rules: [{ column: 'id', rule: 'not_null' }] })(b, ctx), b);
  const empty = b.slice(0, 0);
  t.is(splitOutput(buildTransform('validate', { rules: [{ column: 'id', rule: 'not_null' }], ...Q })(empty, ctx)).kept!.numRows, 0);
});

test('bad patterns and expressions are all reported at validation, with their fields and positions', (t) => {
  const problems = validateTransformConfig('validate', {
    rules: [
      { column: 'a', rule: 'not_null' },
      { column: 'b', rule: 'regex', pattern: '([a-z' },
      { rule: 'expression', condition: 'qty >' },
    ],
  }) as (FieldProblem & { position?: number })[];
  t.deepEqual(
    problems.map((p) => [p.field, p.error_type]),
    [
      ['config.rules.1.pattern', 'invalid_regex'],
      ['config.rules.2.condition', 'expression_syntax'],
    ],
  );
  t.is(problems[1]!.position, 6);
  const shape = validateTransformConfig('validate', { rules: [{ column: 'a', rule: 'in_list', values: [] }, { column: 'a', rule: 'max', pattern: 'x' }] });
  t.deepEqual(shape.map((p) => p.field).sort(), ['config.rules.0.values', 'config.rules.1', 'config.rules.1.value'].sort());
});

test('a row an expression rule cannot evaluate (division by zero, failed cast) is that row\'s failure, quarantined with the error', (t) => {
  const batch = makeBatch({ id: col(new Int32(), [1, 2, 3, 4]), qty: col(new Int32(), [5, 0, null, -2]), code: col(new Utf8(), ['7', '8', 'x', '9']) });
  const { kept, rejected } = quarantine([{ rule: 'expression', condition: '10 / qty > 1' }, { rule: 'expression', condition: 'cast(code as int) > 0' }], batch);
  // Row 2 divides by zero, row 3's code is not a number (and its qty is NULL), row 4 is negative.
  t.deepEqual(ids(kept), [1]);
  t.deepEqual(ids(rejected), [2, 3, 4]);
  const why = reasons(rejected) as string[];
  t.regex(why[0]!, /10 \/ qty > 1 cannot be evaluated: division by zero/);
  t.regex(why[1]!, /10 \/ qty > 1 is not true; .*cast\(code as int\) > 0 cannot be evaluated: .*'x'/);
  t.regex(why[2]!, /10 \/ qty > 1 is not true/);
  const failing = t.throws(() => buildTransform('validate', { rules: [{ rule: 'expression', condition: '10 / qty > 1' }] })(batch, ctx)) as SynqxError;
  t.regex(failing.message, /division by zero/, "on_error 'fail' still fails the step, naming the cause");
});
