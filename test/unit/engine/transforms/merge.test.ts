import test from 'ava';
import { Bool, Int32, Int64, Utf8, type RecordBatch } from 'apache-arrow';
import type { FieldProblem, SynqxError } from '../../../../src/core/errors.js';
import { mergeDefinition } from '../../../../src/engine/transforms/merge.js';
import { col, makeBatch, rowsOf, snapshotBuffers } from '../../../helpers/arrow-batches.js';
import { driveSequential as drive } from '../../../helpers/drive-sequential.js';

const ctx = { now: new Date('2024-01-01T00:00:00Z'), nodeId: 'm' };
const merge = (config: unknown, primary: RecordBatch[], delta: RecordBatch[]) => drive(mergeDefinition.create(config, ctx), [primary, delta]);
const rowsOfAll = (batches: RecordBatch[]) => batches.flatMap((b) => rowsOf(b));

const primary = () =>
  makeBatch({
    id: col(new Int32(), [1, 2, 3, null, 5]),
    name: col(new Utf8(), ['a', 'b', 'c', 'n', 'e']),
  });

test('merge replaces primary rows in place, last delta row per key wins, new keys are appended at finish', (t) => {
  // Delta columns in another order: matched by name.
  const delta = makeBatch({ name: col(new Utf8(), ['B1', 'X', 'B2', 'E']), id: col(new Int32(), [2, 9, 2, 5]) });
  const out = merge({ keys: ['id'] }, [primary()], [delta]);
  t.deepEqual(rowsOfAll(out), [
    { id: 1, name: 'a' },
    { id: 2, name: 'B2' },
    { id: 3, name: 'c' },
    { id: null, name: 'n' },
    { id: 5, name: 'E' },
    { id: 9, name: 'X' },
  ]);
  t.deepEqual(out[0]!.schema.fields.map((f) => f.name), ['id', 'name']);
});

test('merge with delete_column: true deletes, false/NULL upserts, deleting an absent key does nothing', (t) => {
  const delta = makeBatch({
    id: col(new Int32(), [1, 3, 7, 8, 5, null]),
    name: col(new Utf8(), ['A', 'gone', 'G', 'H', 'E', 'NK']),
    del: col(new Bool(), [false, true, true, null, true, null]),
  });
  const out = merge({ keys: ['id'], delete_column: 'del' }, [primary()], [delta]);
  t.deepEqual(rowsOfAll(out), [
    { id: 1, name: 'A' },
    { id: 2, name: 'b' },
    { id: null, name: 'n' },
    { id: 8, name: 'H' },
    { id: null, name: 'NK' },
  ]);
  // A later non-deleting row for the key wins over an earlier deletion, and the other way round.
  const flip = makeBatch({ id: col(new Int32(), [2, 2, 3, 3]), name: col(new Utf8(), ['x', 'B', 'C', 'y']), del: col(new Bool(), [true, false, false, true]) });
  t.deepEqual(
    rowsOfAll(merge({ keys: ['id'], delete_column: 'del' }, [primary()], [flip])).map((r) => r.name),
    ['a', 'B', 'n', 'e'],
  );
});

test('merge: duplicate primary keys collapse into the one delta row; multi-key; many batches; inputs untouched', (t) => {
  const p = [
    makeBatch({ a: col(new Int32(), [1, 1, 1]), b: col(new Utf8(), ['x', 'x', 'y']), v: col(new Int64(), [1n, 2n, 3n]) }),
    makeBatch({ a: col(new Int32(), [1, 2]), b: col(new Utf8(), ['x', 'x']), v: col(new Int64(), [4n, 5n]) }),
  ];
  const d = [
    makeBatch({ a: col(new Int32(), [1]), b: col(new Utf8(), ['x']), v: col(new Int64(), [10n]) }),
    makeBatch({ a: col(new Int32(), [3]), b: col(new Utf8(), ['z']), v: col(new Int64(), [30n]) }),
  ];
  const before = [...p, ...d].map(snapshotBuffers);
  const out = merge({ keys: ['a', 'b'] }, p, d);
  t.deepEqual(rowsOfAll(out), [
    { a: 1, b: 'x', v: 10n },
    { a: 1, b: 'y', v: 3n },
    { a: 2, b: 'x', v: 5n },
    { a: 3, b: 'z', v: 30n },
  ]);
  t.deepEqual([...p, ...d].map(snapshotBuffers), before);
});

test('merge with primary right reads input 0 as the delta', (t) => {
  const op = mergeDefinition.create({ keys: ['id'], primary: 'right' }, ctx);
  t.deepEqual(op.readOrder, { mode: 'sequential', order: [0, 1] });
  t.deepEqual(mergeDefinition.create({ keys: ['id'] }, ctx).readOrder, { mode: 'sequential', order: [1, 0] });
  const delta = makeBatch({ id: col(new Int32(), [3]), name: col(new Utf8(), ['C']) });
  t.deepEqual(rowsOfAll(drive(op, [[delta], [primary()]])).map((r) => r.name), ['a', 'b', 'C', 'n', 'e']);
});

test('merge with empty inputs: an empty primary batch gives an empty batch; an empty delta passes the primary', (t) => {
  const none = merge({ keys: ['id'] }, [primary().slice(0, 0)], [primary().slice(0, 0)]);
  t.is(none.length, 1);
  t.is(none[0]!.numRows, 0);
  t.deepEqual(none[0]!.schema.fields.map((f) => f.name), ['id', 'name']);
  t.deepEqual(rowsOfAll(merge({ keys: ['id'] }, [primary()], [primary().slice(0, 0)])), rowsOf(primary()));
  t.deepEqual(rowsOfAll(merge({ keys: ['id'] }, [primary().slice(0, 0)], [primary()])), rowsOf(primary()));
});

test('merge: delta columns must match the primary (missing, other type, extra) — one DATA_ERROR listing each', (t) => {
  const delta = makeBatch({ id: col(new Int64(), [1n]), extra: col(new Utf8(), ['z']) });
  const err = t.throws(() => merge({ keys: ['id'] }, [primary()], [delta])) as SynqxError;
  t.is(err.code, 'DATA_ERROR');
  t.regex(err.message, /column "id" is Int32 in the primary but Int64 in the delta/);
  t.regex(err.message, /column "name" is missing from the delta/);
  t.regex(err.message, /the delta has column "extra" the primary lacks/);
  const op = mergeDefinition.create({ keys: ['nope'] }, ctx);
  t.throws(() => op.outputSchema([primary().schema, primary().schema]), { message: /primary input has no key column "nope"/ });
  const notBool = makeBatch({ id: col(new Int32(), [1]), name: col(new Utf8(), ['z']), del: col(new Int32(), [1]) });
  t.throws(() => merge({ keys: ['id'], delete_column: 'del' }, [primary()], [notBool]), { message: /delete_column "del" must be boolean/ });
});

test('merge delta past max_delta_rows is a DATA_ERROR naming the bound', (t) => {
  const err = t.throws(() => merge({ keys: ['id'], max_delta_rows: 4 }, [primary()], [primary()])) as SynqxError;
  t.is(err.code, 'DATA_ERROR');
  t.is(err.message, 'merge delta (right input) exceeds max_delta_rows=4; raise max_delta_rows');
  t.notThrows(() => merge({ keys: ['id'], max_delta_rows: 5 }, [primary()], [primary()]));
});

test('merge rejects a bad config with every problem at once', (t) => {
  const fields = (config: unknown) => {
    const err = t.throws(() => mergeDefinition.validate(config)) as SynqxError;
    t.is(err.code, 'VALIDATION_FAILED');
    return (err.details as FieldProblem[]).map((p) => p.field).sort();
  };
  t.deepEqual(fields({ keys: [], primary: 2, max_delta_rows: -1, delete_columns: 'x' }), [
    'config',
    'config.keys',
    'config.max_delta_rows',
    'config.primary',
  ]);
  t.deepEqual(fields({ keys: ['id'], delete_column: 'id', max_delta_rows: 1.5 }), ['config.delete_column', 'config.max_delta_rows']);
  t.deepEqual(fields({ keys: ['id'], delete_column: 'id' }), ['config.delete_column']);
  t.deepEqual(fields(undefined), ['config.keys']);
  t.false(mergeDefinition.create({ keys: ['id'] }, ctx).rowWise);
});

test('merge: a primary that ends without any batch is known from outputSchema; the delta is the output', (t) => {
  const delta = primary();
  t.throws(() => merge({ keys: ['id'] }, [], [delta]), { message: /the primary input sent no batch/ });
  const op = mergeDefinition.create({ keys: ['id'] }, ctx);
  t.deepEqual(op.outputSchema([primary().schema, delta.schema]).fields.map((f) => f.name), ['id', 'name']);
  t.deepEqual(rowsOfAll(drive(op, [[], [delta]])), rowsOf(delta));
});
