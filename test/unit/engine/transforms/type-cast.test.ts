import test from 'ava';
import { DataType, FixedSizeBinary, Float64, Int32, Int64, TimestampMicrosecond, Utf8, type RecordBatch } from 'apache-arrow';
import { FIELD_META_PG_TYPE, FIELD_META_PK_POSITION } from '../../../../src/core/data-ports.js';
import { SynqxError } from '../../../../src/core/errors.js';
import { buildTransform, validateTransformConfig } from '../../../../src/engine/transforms/registry.js';
import { ERROR_COLUMN } from '../../../../src/engine/transforms/rejected-rows.js';
import { splitOutput, type TransformContext } from '../../../../src/engine/transforms/transform.js';
import { col, makeBatch, rowsOf, snapshotBuffers } from '../../../helpers/arrow-batches.js';

const ctx: TransformContext = { now: new Date('2024-01-01T00:00:00Z'), nodeId: 'c' };
const Q = { on_error: 'quarantine', quarantine_asset_id: 9 } as const;

const cast = (columns: Record<string, string>, batch: RecordBatch, extra: Record<string, unknown> = Q) => splitOutput(buildTransform('type_cast', { columns, ...extra })(batch, ctx));
const one = (values: unknown[], type: DataType = new Utf8(), metadata?: Record<string, string>) => makeBatch({ v: col(type, values, metadata) });
const column = (b: RecordBatch | null, name = 'v') => rowsOf(b).map((r) => r[name]);

test('text to integers: trims, keeps NULL, range-checks each width, and never rounds text', (t) => {
  const b = one([' 42 ', '-32768', null, '32768', '1.5', 'abc', '2147483648']);
  const small = cast({ v: 'int2' }, b);
  t.deepEqual(column(small.kept), [42, -32768, null]);
  t.deepEqual(column(small.rejected, ERROR_COLUMN), [
    "cannot cast '32768' to int2 in column v: out of range for int2",
    "cannot cast '1.5' to int2 in column v",
    "cannot cast 'abc' to int2 in column v",
    "cannot cast '2147483648' to int2 in column v: out of range for int",
  ]);
  // Rejected rows keep their original text.
  t.deepEqual(column(small.rejected), ['32768', '1.5', 'abc', '2147483648']);
  t.deepEqual(column(cast({ v: 'integer' }, b).kept), [42, -32768, null, 32768]);
  const big = cast({ v: 'bigint' }, one(['9223372036854775807', '-9223372036854775808', '9223372036854775808']));
  t.deepEqual(column(big.kept), [9223372036854775807n, -9223372036854775808n]);
  t.is(column(big.rejected, ERROR_COLUMN)[0], "cannot cast '9223372036854775808' to int8 in column v: out of range for bigint");
});

test('the output column gets the Arrow type and exact Postgres type a Postgres source would give it', (t) => {
  const b = makeBatch({
    i: col(new Utf8(), ['1'], { [FIELD_META_PG_TYPE]: 'text', [FIELD_META_PK_POSITION]: '1' }),
    f: col(new Utf8(), ['1.5']),
    d: col(new Utf8(), ['2024-02-29']),
    ts: col(new Utf8(), ['2024-02-29 12:30:00.25+02']),
    tz: col(new Utf8(), ['2024-02-29T10:30:00Z']),
    u: col(new Utf8(), ['{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}']),
    j: col(new Utf8(), ['{"a": [1, 2]}']),
    n: col(new Utf8(), [' -12.50 ']),
    b: col(new Utf8(), ['yes']),
    r: col(new Utf8(), ['0.1']),
  });
  const { kept, rejected } = cast({ i: 'int4', f: 'float8', d: 'date', ts: 'timestamp', tz: 'timestamptz', u: 'uuid', j: 'jsonb', n: 'numeric', b: 'boolean', r: 'real' }, b);
  t.is(rejected, null);
  const types = Object.fromEntries(kept!.schema.fields.map((f) => [f.name, [String(f.type), f.metadata.get(FIELD_META_PG_TYPE)]]));
  t.deepEqual(types, {
    i: ['Int32', 'integer'],
    f: ['Float64', 'double precision'],
    d: ['Date32<DAY>', 'date'],
    ts: ['Timestamp<MICROSECOND>', 'timestamp without time zone'],
    tz: ['Timestamp<MICROSECOND, UTC>', 'timestamp with time zone'],
    u: ['FixedSizeBinary[16]', 'uuid'],
    j: ['Utf8', 'jsonb'],
    n: ['Utf8', 'numeric'],
    b: ['Bool', 'boolean'],
    r: ['Float32', 'real'],
  });
  t.is(kept!.schema.fields[0]!.metadata.get(FIELD_META_PK_POSITION), '1', 'a key column stays a key column');
  const row = rowsOf(kept)[0]!;
  t.is(row['i'], 1);
  t.is(row['d'], Date.UTC(2024, 1, 29));
  t.is(row['ts'], Date.UTC(2024, 1, 29, 10, 30, 0, 250));
  t.is(row['tz'], Date.UTC(2024, 1, 29, 10, 30));
  t.deepEqual(row['u'], Array.from(Buffer.from('a0eebc999c0b4ef8bb6d6bb9bd380a11', 'hex')));
  t.is(row['j'], '{"a": [1, 2]}');
  t.is(row['n'], '-12.50');
  t.is(row['b'], true);
  t.is(row['r'], Math.fround(0.1));
});

test('edge values: bad dates, uuids, JSON and booleans are rejected with the value; NaN and Infinity as Postgres allows', (t) => {
  const { kept, rejected } = cast({ v: 'date' }, one(['2023-02-29', '2024-13-01', '2024-01-31']));
  t.deepEqual(column(kept), [Date.UTC(2024, 0, 31)]);
  t.deepEqual(column(rejected, ERROR_COLUMN), ["cannot cast '2023-02-29' to date in column v", "cannot cast '2024-13-01' to date in column v"]);
  t.deepEqual(column(cast({ v: 'uuid' }, one(['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1', 'a0eebc999c0b4ef8bb6d6bb9bd380a11', '-a0eebc999c0b4ef8bb6d6bb9bd380a11'])).rejected), [
    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1',
    '-a0eebc999c0b4ef8bb6d6bb9bd380a11',
  ]);
  t.deepEqual(column(cast({ v: 'jsonb' }, one(['{"a":1}', '{a:1}', 'null'])).rejected, ERROR_COLUMN), ["cannot cast '{a:1}' to jsonb in column v: invalid JSON"]);
  t.deepEqual(column(cast({ v: 'bool' }, one(['t', 'OFF', 'maybe'])).kept), [true, false]);
  t.deepEqual(column(cast({ v: 'float8' }, one(['NaN', '-Infinity', '1e308', '1e309x'])).kept), [NaN, -Infinity, 1e308]);
  t.deepEqual(column(cast({ v: 'float4' }, one(['1e39'])).rejected, ERROR_COLUMN), ["cannot cast '1e39' to float4 in column v: out of range for float4"]);
  t.deepEqual(column(cast({ v: 'numeric' }, one(['1e5', 'NaN', '1,5'])).kept), ['1e5', 'NaN']);
});

test('numbers and numeric columns: floats round half away from zero; numeric text converts exactly', (t) => {
  t.deepEqual(column(cast({ v: 'int4' }, one([2.5, -2.5, 1e10], new Float64())).kept), [3, -3]);
  const numeric = { [FIELD_META_PG_TYPE]: 'numeric(30,2)' };
  const n = one(['12345678901234567890.50', '-0.49', 'NaN'], new Utf8(), numeric);
  const r = cast({ v: 'int8' }, n);
  t.deepEqual(column(r.kept), [-0n]);
  t.deepEqual(column(r.rejected, ERROR_COLUMN), [
    "cannot cast '12345678901234567890.50' to int8 in column v: out of range for int8",
    "cannot cast 'NaN' to int8 in column v: out of range",
  ]);
  t.deepEqual(column(cast({ v: 'int8' }, one(['9007199254740993.5'], new Utf8(), numeric)).kept), [9007199254740994n]);
  t.deepEqual(column(cast({ v: 'text' }, one(['1.50'], new Utf8(), numeric)).kept), ['1.50'], 'numeric → text keeps the exact text');
  t.deepEqual(column(cast({ v: 'text' }, one([9007199254740993n], new Int64())).kept), ['9007199254740993']);
  t.deepEqual(column(cast({ v: 'text' }, one([Date.UTC(2024, 0, 2, 3, 4, 5)], new TimestampMicrosecond())).kept), ['2024-01-02 03:04:05']);
  const uuid = one([Uint8Array.from(Buffer.from('a0eebc999c0b4ef8bb6d6bb9bd380a11', 'hex'))], new FixedSizeBinary(16));
  t.deepEqual(column(cast({ v: 'text' }, uuid).kept), ['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11']);
});

test('a cast no value of the column type could make is a DATA_ERROR on the empty batch, not a rejected row', (t) => {
  const fn = buildTransform('type_cast', { columns: { v: 'date' }, ...Q });
  const err = t.throws(() => fn(one([1], new Int32()).slice(0, 0), ctx)) as SynqxError;
  t.is(err.code, 'DATA_ERROR');
  t.is(err.message, 'type_cast: column "v" (Int32) cannot be cast to date');
  const missing = t.throws(() => buildTransform('type_cast', { columns: { nope: 'int4' } })(one(['1']), ctx)) as SynqxError;
  t.regex(missing.message, /type_cast: column "nope" not found; the input has: v/);
});

test("on_error 'fail' fails on the lowest failing row across columns, with column, value and target", (t) => {
  const b = makeBatch({ a: col(new Utf8(), ['1', '2', 'x']), b: col(new Utf8(), ['1', 'y', '3']) });
  const err = t.throws(() => buildTransform('type_cast', { columns: { a: 'int4', b: 'int4' } })(b, ctx)) as SynqxError;
  t.is(err.code, 'DATA_ERROR');
  t.is(err.message, "type_cast: row 2 of the batch: cannot cast 'y' to int4 in column b (set on_error: 'quarantine' to divert failing rows instead)");
});

test('every failing column of a row is in its reason; the input is not mutated; all-good batches are not split', (t) => {
  const b = makeBatch({ a: col(new Utf8(), ['1', 'x']), b: col(new Utf8(), ['1', 'y']), keep: col(new Int32(), [7, 8]) });
  const before = snapshotBuffers(b);
  const { kept, rejected } = cast({ a: 'int4', b: 'int2' }, b);
  t.deepEqual(rowsOf(kept), [{ a: 1, b: 1, keep: 7 }]);
  t.deepEqual(rowsOf(rejected), [{ a: 'x', b: 'y', keep: 8, [ERROR_COLUMN]: "cannot cast 'x' to int4 in column a; cannot cast 'y' to int2 in column b" }]);
  t.is(snapshotBuffers(b), before);
  const good = buildTransform('type_cast', { columns: { a: 'int4' } })(b.slice(0, 1), ctx);
  t.false(good !== null && 'kept' in good);
});

test('config: unknown type names and a missing quarantine asset are validation problems on their fields', (t) => {
  t.deepEqual(validateTransformConfig('type_cast', { columns: { a: 'int4' } }), []);
  const problems = validateTransformConfig('type_cast', { columns: { a: 'varchar2' }, on_error: 'quarantine' });
  t.deepEqual(problems.map((p) => p.field), ['config.columns.a']);
  const p2 = validateTransformConfig('type_cast', { columns: { a: 'int4' }, on_error: 'quarantine' });
  t.deepEqual(p2.map((p) => [p.field, p.message]), [['config.quarantine_asset_id', "required when on_error is 'quarantine'"]]);
});
