import test from 'ava';
import { Field, Int32, Int64, Schema, Utf8, Float64, type RecordBatch } from 'apache-arrow';
import { FIELD_META_PG_TYPE, FIELD_META_PK_POSITION } from '../../../../src/core/data-ports.js';
import type { FieldProblem, SynqxError } from '../../../../src/core/errors.js';
import { joinDefinition } from '../../../../src/engine/transforms/join.js';
import { JOIN_OUTPUT_ROWS } from '../../../../src/engine/transforms/join-operator.js';
import { planJoin } from '../../../../src/engine/transforms/join-plan.js';
import { col, makeBatch, rowsOf, snapshotBuffers } from '../../../helpers/arrow-batches.js';
import { driveSequential as drive } from '../../../helpers/drive-sequential.js';
import { seededRandom } from '../../../helpers/seeded-random.js';

const ctx = { now: new Date('2024-01-01T00:00:00Z'), nodeId: 'j' };
const join = (config: unknown, left: RecordBatch[], right: RecordBatch[]) => drive(joinDefinition.create(config, ctx), [left, right]);
const rowsOfAll = (batches: RecordBatch[]) => batches.flatMap((b) => rowsOf(b));
const sorted = (rows: Record<string, unknown>[]) => rows.map((r) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))).sort();

// Keys: 1 twice on the left and twice on the right (4 pairs), 2 only left, 3 only right, NULL on both.
const people = () =>
  makeBatch({
    id: col(new Int32(), [1, 1, 2, null, 4]),
    name: col(new Utf8(), ['ann', 'amy', 'bob', 'nul', 'dan']),
  });
const orders = () =>
  makeBatch({
    id: col(new Int32(), [1, 3, 1, null, 4]),
    amount: col(new Float64(), [10, 30, 11, 99, 40]),
    name: col(new Utf8(), ['o1', 'o3', 'o1b', 'onull', 'o4']),
  });

const inner = [
  { id: 1, name: 'ann', amount: 10, name_right: 'o1' },
  { id: 1, name: 'ann', amount: 11, name_right: 'o1b' },
  { id: 1, name: 'amy', amount: 10, name_right: 'o1' },
  { id: 1, name: 'amy', amount: 11, name_right: 'o1b' },
  { id: 4, name: 'dan', amount: 40, name_right: 'o4' },
];
const leftOnly = [
  { id: 2, name: 'bob', amount: null, name_right: null },
  { id: null, name: 'nul', amount: null, name_right: null },
];
const rightOnly = [
  { id: 3, name: null, amount: 30, name_right: 'o3' },
  { id: null, name: null, amount: 99, name_right: 'onull' },
];

for (const build of ['left', 'right'] as const) {
  test(`join keys: inner, left, right, full with NULL and duplicate keys (build ${build})`, (t) => {
    const cases = { inner, left: [...inner, ...leftOnly], right: [...inner, ...rightOnly], full: [...inner, ...leftOnly, ...rightOnly] };
    for (const [type, expected] of Object.entries(cases)) {
      const out = join({ type, keys: ['id'], build }, [people()], [orders()]);
      t.deepEqual(sorted(rowsOfAll(out)), sorted(expected), type);
      t.deepEqual(
        out[0]!.schema.fields.map((f) => f.name),
        ['id', 'name', 'amount', 'name_right'],
      );
    }
  });
}

test('join on: every column kept, clashing right names suffixed, nullability follows the outer side', (t) => {
  const op = joinDefinition.create({ type: 'left', on: [{ left: 'id', right: 'id' }], right_suffix: '_o' }, ctx);
  const out = drive(op, [[people()], [orders()]]);
  const schema = out[0]!.schema;
  t.deepEqual(
    schema.fields.map((f) => `${f.name}:${f.nullable}`),
    ['id:true', 'name:true', 'id_o:true', 'amount:true', 'name_o:true'],
  );
  const rows = rowsOfAll(out);
  t.deepEqual(sorted(rows.filter((r) => r.id === 2)), sorted([{ id: 2, name: 'bob', id_o: null, amount: null, name_o: null }]));
  t.is(rows.length, 7);
  t.deepEqual(op.outputSchema([people().schema, orders().schema]).fields.map((f) => f.name), schema.fields.map((f) => f.name));
});

test('join multi-key with different names on each side; a NULL in any key column never matches', (t) => {
  const left = makeBatch({ a: col(new Int32(), [1, 1, 2, 1]), b: col(new Utf8(), ['x', 'y', 'x', null]), l: col(new Int32(), [10, 11, 12, 13]) });
  const right = makeBatch({ c: col(new Int32(), [1, 1, 2, 1]), d: col(new Utf8(), ['x', 'x', 'y', null]), r: col(new Int32(), [20, 21, 22, 23]) });
  const out = join({ on: [{ left: 'a', right: 'c' }, { left: 'b', right: 'd' }] }, [left], [right]);
  t.deepEqual(
    sorted(rowsOfAll(out)),
    sorted([
      { a: 1, b: 'x', l: 10, c: 1, d: 'x', r: 20 },
      { a: 1, b: 'x', l: 10, c: 1, d: 'x', r: 21 },
    ]),
  );
});

test('join keys of int32 and int64 compare as numbers; the coalesced key column takes the wider type', (t) => {
  const left = makeBatch({ k: col(new Int32(), [1, 2, null]), l: col(new Utf8(), ['a', 'b', 'c']) });
  const right = makeBatch({ k: col(new Int64(), [2n, 5_000_000_000n]), r: col(new Utf8(), ['B', 'X']) });
  const out = join({ type: 'full', keys: ['k'] }, [left], [right]);
  t.is(String(out[0]!.schema.fields[0]!.type), 'Int64');
  t.deepEqual(
    sorted(rowsOfAll(out)),
    sorted([
      { k: 1n, l: 'a', r: null },
      { k: 2n, l: 'b', r: 'B' },
      { k: null, l: 'c', r: null },
      { k: 5_000_000_000n, l: null, r: 'X' },
    ]),
  );
});

test('join key columns of incompatible types are a DATA_ERROR naming both columns and types', (t) => {
  const op = joinDefinition.create({ on: [{ left: 'id', right: 'name' }] }, ctx);
  const err = t.throws(() => op.outputSchema([people().schema, orders().schema])) as SynqxError;
  t.is(err.code, 'DATA_ERROR');
  t.regex(err.message, /"id" \(Int32\).*"name" \(Utf8\)/);
  const err2 = t.throws(() => drive(joinDefinition.create({ keys: ['nope'] }, ctx), [[people()], [orders()]])) as SynqxError;
  t.is(err2.code, 'DATA_ERROR');
  t.regex(err2.message, /no key column "nope"; it has: id, amount, name/);
});

test('join with empty inputs: schema batches give an empty batch with the output schema; outer rows still come', (t) => {
  const emptyPeople = people().slice(0, 0);
  const emptyOrders = orders().slice(0, 0);
  const out = join({ type: 'inner', keys: ['id'] }, [emptyPeople], [emptyOrders]);
  t.is(out.length, 1);
  t.is(out[0]!.numRows, 0);
  t.deepEqual(out[0]!.schema.fields.map((f) => f.name), ['id', 'name', 'amount', 'name_right']);

  const left = join({ type: 'left', keys: ['id'] }, [people()], [emptyOrders]);
  t.deepEqual(rowsOfAll(left).map((r) => [r.name, r.amount]), [['ann', null], ['amy', null], ['bob', null], ['nul', null], ['dan', null]]);

  const right = join({ type: 'right', keys: ['id'] }, [emptyPeople], [orders()]);
  t.deepEqual(rowsOfAll(right).map((r) => [r.id, r.name_right]), [[1, 'o1'], [3, 'o3'], [1, 'o1b'], [null, 'onull'], [4, 'o4']]);
  t.deepEqual(join({ type: 'inner', keys: ['id'] }, [emptyPeople], [orders()]).flatMap((b) => rowsOf(b)), []);
});

/** Nested loops over plain rows: the obvious join, to check the hash join against. */
function reference(type: string, left: Record<string, unknown>[], right: Record<string, unknown>[]) {
  const out: Record<string, unknown>[] = [];
  const rightHit = new Set<number>();
  for (const l of left) {
    let hit = false;
    right.forEach((r, j) => {
      if (l.k !== null && r.k !== null && l.k === r.k && l.s === r.s && l.s !== null) {
        out.push({ k: l.k, s: l.s, lv: l.lv, rv: r.rv });
        hit = true;
        rightHit.add(j);
      }
    });
    if (!hit && (type === 'left' || type === 'full')) out.push({ k: l.k, s: l.s, lv: l.lv, rv: null });
  }
  if (type === 'right' || type === 'full') right.forEach((r, j) => rightHit.has(j) || out.push({ k: r.k, s: r.s, lv: null, rv: r.rv }));
  return out;
}


function randomSide(seed: number, n: number, value: string) {
  const rnd = seededRandom(seed);
  const rows = Array.from({ length: n }, (_, i) => ({
    k: rnd() < 0.1 ? null : Math.floor(rnd() * 40),
    s: rnd() < 0.05 ? null : ['a', 'b'][Math.floor(rnd() * 2)]!,
    [value]: i,
  }));
  const batches: RecordBatch[] = [];
  for (let i = 0; i < n; i += 37) {
    const part = rows.slice(i, i + 37);
    batches.push(makeBatch({ k: col(new Int32(), part.map((r) => r.k)), s: col(new Utf8(), part.map((r) => r.s)), [value]: col(new Int32(), part.map((r) => r[value])) }));
  }
  return { rows, batches };
}

test('join over many batches on each side matches a nested-loop join, for every type and build side; inputs untouched', (t) => {
  const left = randomSide(7, 400, 'lv');
  const right = randomSide(11, 300, 'rv');
  const before = [...left.batches, ...right.batches].map(snapshotBuffers);
  for (const type of ['inner', 'left', 'right', 'full']) {
    for (const build of ['left', 'right']) {
      const out = join({ type, keys: ['k', 's'], build }, left.batches, right.batches);
      t.true(out.every((b) => b.numRows <= JOIN_OUTPUT_ROWS));
      t.deepEqual(sorted(rowsOfAll(out)), sorted(reference(type, left.rows, right.rows)), `${type} build ${build}`);
    }
  }
  t.deepEqual([...left.batches, ...right.batches].map(snapshotBuffers), before);
});

test('join cuts a many-to-many match into batches of at most JOIN_OUTPUT_ROWS rows', (t) => {
  const n = 300; // 300 × 300 = 90,000 pairs on one key
  const side = (name: string) => makeBatch({ k: col(new Int32(), Array(n).fill(1)), [name]: col(new Int32(), Array.from({ length: n }, (_, i) => i)) });
  const out = join({ keys: ['k'] }, [side('a')], [side('b')]);
  t.deepEqual(out.map((b) => b.numRows), [JOIN_OUTPUT_ROWS, n * n - JOIN_OUTPUT_ROWS]);
  const last = rowsOf(out[1]!).at(-1)!;
  t.deepEqual(last, { k: 1, a: n - 1, b: n - 1 });
});

test('join build side past max_build_rows is a DATA_ERROR naming the bound and how to raise it', (t) => {
  const err = t.throws(() => join({ keys: ['id'], max_build_rows: 4 }, [people()], [orders()])) as SynqxError;
  t.is(err.code, 'DATA_ERROR');
  t.is(err.message, 'join build side (right input) exceeds max_build_rows=4; raise max_build_rows or make the smaller input the build side');
  const err2 = t.throws(() => join({ keys: ['id'], build: 'left', max_build_rows: 3 }, [people()], [orders()])) as SynqxError;
  t.regex(err2.message, /^join build side \(left input\) exceeds max_build_rows=3/);
  t.notThrows(() => join({ keys: ['id'], max_build_rows: 5 }, [people()], [orders()]));
});

test('join reads its build side first, then the probe side', (t) => {
  t.deepEqual(joinDefinition.create({ keys: ['id'] }, ctx).readOrder, { mode: 'sequential', order: [1, 0] });
  t.deepEqual(joinDefinition.create({ keys: ['id'], build: 'left' }, ctx).readOrder, { mode: 'sequential', order: [0, 1] });
  t.false(joinDefinition.create({ keys: ['id'] }, ctx).rowWise);
});

test('join rejects a bad config with every problem at once', (t) => {
  const problems = (config: unknown) => {
    const err = t.throws(() => joinDefinition.validate(config)) as SynqxError;
    t.is(err.code, 'VALIDATION_FAILED');
    return (err.details as FieldProblem[]).map((p) => p.field).sort();
  };
  t.deepEqual(problems({ type: 'outer', keys: ['a'], on: [{ left: 'a', right: 'b' }], build: 'middle', max_build_rows: 0, bogus: 1 }), [
    'config',
    'config.build',
    'config.max_build_rows',
    'config.on',
    'config.type',
  ]);
  t.deepEqual(problems({}), ['config.keys']);
  t.deepEqual(problems({ keys: ['a', 'a'] }), ['config.keys']);
  t.deepEqual(problems({ on: [{ left: 'a' }] }), ['config.on.0.right']);
  t.throws(() => joinDefinition.create({ type: 'outer', keys: ['a'] }, ctx), { message: /invalid config for transform join/ });
  t.notThrows(() => joinDefinition.validate({ keys: ['a'] }));
});

test('join: an input that ends without any batch is known from outputSchema, else a DATA_ERROR', (t) => {
  const err = t.throws(() => join({ type: 'right', keys: ['id'] }, [], [orders()])) as SynqxError;
  t.is(err.code, 'DATA_ERROR');
  t.regex(err.message, /the left input sent no batch/);
  const op = joinDefinition.create({ type: 'right', keys: ['id'] }, ctx);
  op.outputSchema([people().schema, orders().schema]);
  const rows = rowsOfAll(drive(op, [[], [orders()]]));
  t.deepEqual(rows.map((r) => [r.id, r.name, r.name_right]), [[1, null, 'o1'], [3, null, 'o3'], [1, null, 'o1b'], [null, null, 'onull'], [4, null, 'o4']]);
});

test("join output keeps no input's primary-key mark (a load would make it the destination's PRIMARY KEY) but keeps other metadata", (t) => {
  const keyed = (name: string) => new Field(name, new Int32(), false, new Map([[FIELD_META_PK_POSITION, '1'], [FIELD_META_PG_TYPE, 'int4']]));
  const left = new Schema([keyed('id'), new Field('k', new Int32(), true)]);
  const right = new Schema([keyed('id'), new Field('k', new Int32(), true, new Map([[FIELD_META_PK_POSITION, '1']]))]);
  for (const shape of [
    { type: 'left' as const, pairs: [{ left: 'k', right: 'k' }], coalesce: true, rightSuffix: '_right' },
    { type: 'inner' as const, pairs: [{ left: 'id', right: 'id' }], coalesce: true, rightSuffix: '_right' },
    { type: 'full' as const, pairs: [{ left: 'k', right: 'k' }], coalesce: false, rightSuffix: '_right' },
  ]) {
    const { schema } = planJoin(shape, left, right);
    t.deepEqual(schema.fields.filter((f) => f.metadata.has(FIELD_META_PK_POSITION)).map((f) => f.name), [], shape.type);
    t.is(schema.fields[0]!.metadata.get(FIELD_META_PG_TYPE), 'int4', shape.type);
  }
});
