import test from 'ava';
import { Bool, DateDay, Float64, Int32, TimestampMicrosecond, Utf8, type RecordBatch } from 'apache-arrow';
import { FIELD_META_PG_TYPE } from '../../../../src/core/data-ports.js';
import { SynqxError, type FieldProblem } from '../../../../src/core/errors.js';
import { buildTransform, validateTransformConfig } from '../../../../src/engine/transforms/registry.js';
import { col, makeBatch, rowsOf } from '../../../helpers/arrow-batches.js';
import { createOperator, drive, rowsOfAll } from '../../../helpers/stream-driver.js';

// Pipelines written for the original (pandas) SynqX use its config key names; each must mean exactly
// what SynqX's own spelling means.

const batch = makeBatch({
  id: col(new Int32(), [1, 2, 2, 3, 1, null]),
  name: col(new Utf8(), ['a', null, 'b', 'c', 'a', null]),
  score: col(new Float64(), [1.5, null, 2.5, 3, 1.5, 4]),
  ok: col(new Bool(), [true, null, false, true, true, null]),
});

function batchRows(name: string, config: unknown) {
  return rowsOf(buildTransform(name, config)(batch, { now: new Date(0), nodeId: 'n1' }) as RecordBatch);
}

function streamRows(name: string, config: unknown, inputs = [[batch]]) {
  const op = createOperator(name, config);
  return rowsOfAll(drive(op, inputs.map((i) => i[0]!.schema), inputs).batches);
}

test('type_cast: casts is columns, and pandas dtype names are accepted', (t) => {
  t.deepEqual(batchRows('type_cast', { casts: { id: 'int64', score: 'str' } }), batchRows('type_cast', { columns: { id: 'bigint', score: 'text' } }));
  t.deepEqual(batchRows('type_cast', { casts: { score: 'float32' } }), batchRows('type_cast', { columns: { score: 'real' } }));
});

test('deduplicate: columns is keys; without either, the whole row is the key', (t) => {
  t.deepEqual(streamRows('deduplicate', { columns: ['id'], keep: 'last' }), streamRows('deduplicate', { keys: ['id'], keep: 'last' }));
  const whole = streamRows('deduplicate', {});
  t.is(whole.length, 5, 'only row 5 repeats a whole earlier row (row 1)');
  t.deepEqual(whole.map((r) => r.id), [1, 2, 2, 3, null]);
});

test('join: how is type (outer = full), and on with names is keys', (t) => {
  const left = makeBatch({ k: col(new Int32(), [1, 2, 3]), l: col(new Utf8(), ['x', 'y', 'z']) });
  const right = makeBatch({ k: col(new Int32(), [2, 3, 4]), r: col(new Utf8(), ['B', 'C', 'D']) });
  const ours = streamRows('join', { keys: ['k'], type: 'full' }, [[left], [right]]);
  t.is(ours.length, 4);
  t.deepEqual(streamRows('join', { on: ['k'], how: 'outer' }, [[left], [right]]), ours);
  t.deepEqual(streamRows('join', { on: 'k', how: 'full' }, [[left], [right]]), ours);
  t.deepEqual(streamRows('join', { on: 'k', how: 'left' }, [[left], [right]]), streamRows('join', { keys: ['k'], type: 'left' }, [[left], [right]]));
});

test('sort: by takes bare names, ascending one flag or one per name', (t) => {
  const ours = streamRows('sort', { by: [{ column: 'score', direction: 'desc' }, { column: 'id' }] });
  t.deepEqual(streamRows('sort', { by: ['score', 'id'], ascending: [false, true] }), ours);
  t.deepEqual(streamRows('sort', { by: 'id', ascending: false }), streamRows('sort', { by: [{ column: 'id', direction: 'desc' }] }));
  t.deepEqual(streamRows('sort', { by: ['id'] }), streamRows('sort', { by: [{ column: 'id' }] }));
});

test('aggregate: the pandas agg map, mean for avg, default output names', (t) => {
  const ours = streamRows('aggregate', { group_by: ['name'], aggregates: [{ column: 'score', fn: 'avg', as: 'score' }] });
  t.deepEqual(streamRows('aggregate', { group_by: 'name', aggregates: { score: 'mean' } }), ours);
  const named = streamRows('aggregate', { group_by: ['name'], aggregates: { score: ['sum', 'max'] } });
  t.deepEqual(Object.keys(named[0]!), ['name', 'score_sum', 'score_max']);
  t.deepEqual(Object.keys(streamRows('aggregate', { aggregates: [{ fn: 'count' }, { column: 'id', fn: 'min' }] })[0]!), ['count', 'id_min']);
});

test('fill_nulls: value fills every column it fits, or just the named columns; a map is values', (t) => {
  t.deepEqual(
    batchRows('fill_nulls', { value: 0 }).map((r) => [r.id, r.name, r.score]),
    [[1, 'a', 1.5], [2, null, 0], [2, 'b', 2.5], [3, 'c', 3], [1, 'a', 1.5], [0, null, 4]],
    'numbers fill numeric columns only',
  );
  t.deepEqual(batchRows('fill_nulls', { value: 'n/a' }).map((r) => r.name), ['a', 'n/a', 'b', 'c', 'a', 'n/a']);
  t.deepEqual(batchRows('fill_nulls', { value: false }).map((r) => r.ok), [true, false, false, true, true, false]);
  t.deepEqual(batchRows('fill_nulls', { value: 7, columns: ['id'] }), batchRows('fill_nulls', { values: { id: 7 } }));
  t.deepEqual(batchRows('fill_nulls', { value: { name: '?' } }), batchRows('fill_nulls', { values: { name: '?' } }));
  const err = t.throws(() => buildTransform('fill_nulls', { value: 'x', columns: ['id'] })(batch, { now: new Date(0), nodeId: 'n1' })) as SynqxError;
  t.is(err.code, 'DATA_ERROR', 'a named column must fit the value');
});

test('fill_nulls with one value leaves numeric-as-text and other text-carried types alone unless it fits them', (t) => {
  const typed = (pgType: string, values: (string | null)[]) => col(new Utf8(), values, { [FIELD_META_PG_TYPE]: pgType });
  const b = makeBatch({ amount: typed('numeric(12,2)', [null, '1.50']), doc: typed('jsonb', [null, '{}']), note: typed('character varying(20)', [null, 'x']) });
  const run = (config: unknown) => rowsOf(buildTransform('fill_nulls', config)(b, { now: new Date(0), nodeId: 'n1' }) as RecordBatch);
  t.deepEqual(run({ value: 'none' })[0], { amount: null, doc: null, note: 'none' });
  t.deepEqual(run({ value: 0 })[0], { amount: '0', doc: null, note: null });
  const err = t.throws(() => run({ values: { amount: 'none' } })) as SynqxError;
  t.regex(err.message, /numeric column needs a number/);
});

test('both spellings at once, or neither where one is required, is a 422-style problem naming the key', (t) => {
  const fields = (name: string, config: unknown) => validateTransformConfig(name, config).map((p: FieldProblem) => p.field);
  t.deepEqual(fields('type_cast', { columns: { id: 'int' }, casts: { id: 'int' } }), ['config.casts']);
  t.deepEqual(fields('type_cast', {}), ['config.columns']);
  t.deepEqual(fields('deduplicate', { keys: ['id'], columns: ['id'] }), ['config.columns']);
  t.deepEqual(fields('join', { keys: ['k'], type: 'left', how: 'left' }), ['config.how']);
  t.deepEqual(fields('fill_nulls', {}), ['config.values']);
  t.deepEqual(fields('fill_nulls', { values: { a: 1 }, columns: ['a'] }), ['config.columns']);
  t.deepEqual(fields('sort', { by: ['a', 'b'], ascending: [true] }), ['config.ascending']);
  t.deepEqual(fields('aggregate', { aggregates: { score: 'median' } }), ['config.aggregates.score']);
});

test('pandas_transform filter_query reads "double quotes" as strings (pandas), filter reads them as column names (SQL)', (t) => {
  t.deepEqual(batchRows('pandas_transform', { filter_query: 'name == "a" and score > 1' }).map((r) => r.id), [1, 1]);
  t.deepEqual(batchRows('pandas_transform', { filter_query: '1 < id <= 2' }).map((r) => r.id), [2, 2]);
  t.deepEqual(batchRows('filter', { condition: '"name" = \'a\'' }).map((r) => r.id), [1, 1]);
});

test('fill_nulls fills date and timestamp columns from a string, keeping the other values exactly (microseconds too)', (t) => {
  const micros = (ms: number, extra: bigint) => BigInt(ms) * 1000n + extra;
  const b = makeBatch({
    d: col(new DateDay(), [Date.UTC(2024, 0, 31), null]),
    at: col(new TimestampMicrosecond('UTC'), [Date.UTC(2024, 5, 1, 12), null]),
  });
  // Give the first timestamp sub-millisecond digits, which a trip through JS milliseconds would lose.
  const at = b.data.children[1]!;
  (at.values as BigInt64Array)[0] = micros(Date.UTC(2024, 5, 1, 12), 123n);
  const out = buildTransform('fill_nulls', { values: { d: '2000-02-29', at: '1999-12-31 23:59:59.5' } })(b, { now: new Date(0), nodeId: 'n1' }) as RecordBatch;
  t.deepEqual([...(out.getChild('d')!.data[0]!.values as Int32Array)].slice(0, 2), [Date.UTC(2024, 0, 31) / 86_400_000, Date.UTC(2000, 1, 29) / 86_400_000]);
  t.deepEqual([...(out.getChild('at')!.data[0]!.values as BigInt64Array)].slice(0, 2), [micros(Date.UTC(2024, 5, 1, 12), 123n), BigInt(Date.UTC(1999, 11, 31, 23, 59, 59, 500)) * 1000n]);
  t.is(out.getChild('at')!.nullCount, 0);
  const err = t.throws(() => buildTransform('fill_nulls', { values: { d: 'soon' } })(b, { now: new Date(0), nodeId: 'n1' })) as SynqxError;
  t.regex(err.message, /'soon' is not a date/);
});
