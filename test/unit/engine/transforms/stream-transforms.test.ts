import test from 'ava';
import { Field, Float64, Int32, Int64, Schema, TimestampMicrosecond, Utf8, type RecordBatch } from 'apache-arrow';
import { FIELD_META_PG_TYPE, FIELD_META_PK_POSITION } from '../../../../src/core/data-ports.js';
import { SynqxError } from '../../../../src/core/errors.js';
import { col, makeBatch } from '../../../helpers/arrow-batches.js';
import { createOperator, drive, rowsOfAll, slices } from '../../../helpers/stream-driver.js';

const run1 = (name: string, config: unknown, batches: RecordBatch[]) => drive(createOperator(name, config), [batches[0]!.schema], [batches]);

const people = () =>
  makeBatch({
    id: col(new Int32(), [1, 2, 3, 4, 5, 6]),
    country: col(new Utf8(), ['DE', 'FR', null, 'DE', null, 'FR']),
    city: col(new Utf8(), ['b', 'p', 'x', 'b', 'x', 'l']),
  });

test('deduplicate keep first streams the first row per key, NULL keys equal, across batches', (t) => {
  const op = createOperator('deduplicate', { keys: ['country'] });
  op.outputSchema([people().schema]);
  const [a, b] = [people().slice(0, 3), people().slice(3)];
  t.deepEqual(rowsOfAll(op.push(0, a)).map((r) => r.id), [1, 2, 3]);
  t.deepEqual(rowsOfAll(op.push(0, b)), []);
  t.deepEqual(op.finish(), []);
  const two = run1('deduplicate', { keys: ['country', 'city'] }, [people()]);
  t.deepEqual(rowsOfAll(two.batches).map((r) => r.id), [1, 2, 3, 6]);
});

test('deduplicate keep last emits the last row per key at the end, in order of last occurrence', (t) => {
  const op = createOperator('deduplicate', { keys: ['country'], keep: 'last' });
  op.outputSchema([people().schema]);
  t.deepEqual(op.push(0, people().slice(0, 4)), []);
  t.deepEqual(op.push(0, people().slice(4)), []);
  t.deepEqual(rowsOfAll(op.finish()).map((r) => r.id), [4, 5, 6]);
});

test('deduplicate keep last stays exact through compaction (many batches, few keys)', (t) => {
  const n = 150_000;
  const batch = makeBatch({ k: col(new Int32(), Array.from({ length: n }, (_, i) => (i * 7919) % 13)), v: col(new Int32(), Array.from({ length: n }, (_, i) => i)) });
  const out = run1('deduplicate', { keys: ['k'], keep: 'last' }, slices(batch, 1000));
  const last = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const k = (i * 7919) % 13;
    last.delete(k);
    last.set(k, i);
  }
  t.deepEqual(rowsOfAll(out.batches), [...last].map(([k, v]) => ({ k, v })));
});

test('deduplicate keys are exact: int64 and microsecond timestamps that JS numbers would merge stay distinct', (t) => {
  const big = 2n ** 60n;
  const batch = makeBatch({
    n: col(new Int64(), [big, big + 1n, big]),
    ts: col(new TimestampMicrosecond(), [0, 0, 0]),
  });
  t.is(run1('deduplicate', { keys: ['n'] }, [batch]).rowsOut, 2);
  const raw = makeBatch({ f: col(new Float64(), [0, -0, NaN, NaN, null, null]) });
  t.is(run1('deduplicate', { keys: ['f'] }, [raw]).rowsOut, 3, '-0 = 0, NaN = NaN, NULL = NULL');
});

test('deduplicate past max_keys is a DATA_ERROR naming the bound', (t) => {
  for (const keep of ['first', 'last']) {
    const err = t.throws(() => run1('deduplicate', { keys: ['id'], keep, max_keys: 5 }, [people()])) as SynqxError;
    t.is(err.code, 'DATA_ERROR');
    t.regex(err.message, /deduplicate holds at most 5 distinct keys \(config max_keys\)/);
  }
  t.is(run1('deduplicate', { keys: ['country'], max_keys: 3 }, [people()]).rowsOut, 3, 'exactly max_keys is fine');
});

test('sort: multi-key, stable, Postgres NULL order by default and on request', (t) => {
  const rows = (config: unknown) => rowsOfAll(run1('sort', config, slices(people(), 4)).batches).map((r) => r.id);
  t.deepEqual(rows({ by: [{ column: 'country' }] }), [1, 4, 2, 6, 3, 5]);
  t.deepEqual(rows({ by: [{ column: 'country', direction: 'desc' }] }), [3, 5, 2, 6, 1, 4]);
  t.deepEqual(rows({ by: [{ column: 'country', nulls: 'first' }] }), [3, 5, 1, 4, 2, 6]);
  t.deepEqual(rows({ by: [{ column: 'country', direction: 'desc', nulls: 'last' }, { column: 'city' }] }), [6, 2, 1, 4, 3, 5]);
  t.deepEqual(rows({ by: [{ column: 'city', direction: 'desc' }, { column: 'id', direction: 'desc' }] }), [5, 3, 2, 6, 4, 1]);
});

test('sort orders floats as Postgres (NaN last ascending), int64 exactly and PG numeric text as numbers', (t) => {
  const f = makeBatch({ f: col(new Float64(), [2, NaN, -1, null, -Infinity]) });
  t.deepEqual(rowsOfAll(run1('sort', { by: [{ column: 'f' }] }, [f]).batches).map((r) => r.f), [-Infinity, -1, 2, NaN, null]);
  const big = 2n ** 62n;
  const i = makeBatch({ n: col(new Int64(), [big + 1n, big, -big]) });
  t.deepEqual(rowsOfAll(run1('sort', { by: [{ column: 'n' }] }, [i]).batches).map((r) => r.n), [-big, big, big + 1n]);
  const batch = makeBatch({ amount: col(new Utf8(), ['10.50', '9.99', '-2.00', 'NaN', '100', '-10.5', '0.00'], { [FIELD_META_PG_TYPE]: 'numeric(10,2)' }) });
  const out = run1('sort', { by: [{ column: 'amount' }] }, [batch]);
  t.deepEqual(rowsOfAll(out.batches).map((r) => r.amount), ['-10.5', '-2.00', '0.00', '9.99', '10.50', '100', 'NaN']);
});

test('sort past max_rows is a DATA_ERROR naming the bound; batches are emitted with the input schema', (t) => {
  const err = t.throws(() => run1('sort', { by: [{ column: 'id' }], max_rows: 5 }, slices(people(), 2))) as SynqxError;
  t.is(err.code, 'DATA_ERROR');
  t.regex(err.message, /^sort holds at most 5 rows \(config max_rows\)/);
  const input = people();
  const out = run1('sort', { by: [{ column: 'id' }], max_rows: 6 }, [input]);
  t.is(out.schema, input.schema);
  t.is(out.rowsOut, 6);
});

test('union matches columns by name; a column missing from an input is NULL there; order sequential by default', (t) => {
  const a = makeBatch({ id: col(new Int32(), [1, 2]), name: col(new Utf8(), ['a', 'b']) });
  const b = makeBatch({ extra: col(new Float64(), [0.5]), id: col(new Int32(), [3]) });
  const out = drive(createOperator('union', {}), [a.schema, b.schema], [[a], [b]]);
  t.deepEqual(out.schema.fields.map((f) => [f.name, String(f.type), f.nullable]), [
    ['id', 'Int32', true],
    ['name', 'Utf8', true],
    ['extra', 'Float64', true],
  ]);
  t.deepEqual(rowsOfAll(out.batches), [
    { id: 1, name: 'a', extra: null },
    { id: 2, name: 'b', extra: null },
    { id: 3, name: null, extra: 0.5 },
  ]);
  t.is(out.batches[0]!.getChild('id')!.data[0], a.getChild('id')!.data[0], 'present columns are passed through, not copied');
});

test('union: different types under one name is a DATA_ERROR; the output never claims a primary key', (t) => {
  const a = new Schema([new Field('id', new Int32(), false, new Map([[FIELD_META_PK_POSITION, '1']]))]);
  const b = new Schema([new Field('id', new Int64(), false)]);
  const err = t.throws(() => createOperator('union', {}).outputSchema([a, b])) as SynqxError;
  t.is(err.code, 'DATA_ERROR');
  t.regex(err.message, /column "id" is Int32 in input 1 but Int64 in input 2/);
  const out = createOperator('union', {}).outputSchema([a, a]);
  t.false(out.fields[0]!.metadata.has(FIELD_META_PK_POSITION));
  t.false(out.fields[0]!.nullable);
  t.deepEqual(createOperator('union', { mode: 'interleaved' }).readOrder, { mode: 'interleaved' });
});

test('aggregate: count(*) vs count(col), SQL NULL handling, int64 sums exact, empty input without group_by gives one row', (t) => {
  const batch = makeBatch({
    g: col(new Utf8(), ['a', 'a', null, 'b', null, 'a']),
    v: col(new Int64(), [2n ** 62n, 2n ** 62n - 1n, 5n, null, null, -(2n ** 62n)]),
    f: col(new Float64(), [1, null, 2, null, 4, 3]),
  });
  const config = {
    group_by: ['g'],
    aggregates: [
      { fn: 'count', as: 'n' },
      { fn: 'count', column: 'v', as: 'nv' },
      { fn: 'sum', column: 'v', as: 'sv' },
      { fn: 'avg', column: 'f', as: 'af' },
      { fn: 'min', column: 'f', as: 'lo' },
      { fn: 'max', column: 'v', as: 'hi' },
    ],
  };
  const out = run1('aggregate', config, slices(batch, 4));
  t.deepEqual(out.schema.fields.map((f) => `${f.name}:${String(f.type)}`), ['g:Utf8', 'n:Int64', 'nv:Int64', 'sv:Int64', 'af:Float64', 'lo:Float64', 'hi:Int64']);
  t.deepEqual(rowsOfAll(out.batches), [
    { g: 'a', n: 3n, nv: 3n, sv: 2n ** 62n - 1n, af: 2, lo: 1, hi: 2n ** 62n },
    { g: null, n: 2n, nv: 1n, sv: 5n, af: 3, lo: 2, hi: 5n },
    { g: 'b', n: 1n, nv: 0n, sv: null, af: null, lo: null, hi: null },
  ]);
  const none = run1('aggregate', { aggregates: [{ fn: 'count', as: 'n' }, { fn: 'sum', column: 'f', as: 's' }] }, [batch.slice(0, 0)]);
  t.deepEqual(rowsOfAll(none.batches), [{ n: 0n, s: null }]);
});

test('aggregate: int64 overflow, max_groups and non-numeric sums are DATA_ERRORs', (t) => {
  const big = makeBatch({ v: col(new Int64(), [2n ** 62n, 2n ** 62n]) });
  const e1 = t.throws(() => run1('aggregate', { aggregates: [{ fn: 'sum', column: 'v', as: 's' }] }, [big])) as SynqxError;
  t.regex(e1.message, /out of the int64 range/);
  const e2 = t.throws(() => run1('aggregate', { group_by: ['id'], aggregates: [{ fn: 'count', as: 'n' }], max_groups: 4 }, [people()])) as SynqxError;
  t.regex(e2.message, /aggregate holds at most 4 groups \(config max_groups\)/);
  const e3 = t.throws(() => createOperator('aggregate', { aggregates: [{ fn: 'sum', column: 'city', as: 's' }] }).outputSchema([people().schema])) as SynqxError;
  t.is(e3.code, 'DATA_ERROR');
  t.regex(e3.message, /sum\(city\) needs a numeric column \(integer, float or PG numeric\)/);
});

test('aggregate sums of 32-bit ints stay exact past 2^53', (t) => {
  const n = 5000;
  const batch = makeBatch({ v: col(new Int32(), Array.from({ length: n }, () => 2_147_483_647)) });
  const out = run1('aggregate', { aggregates: [{ fn: 'sum', column: 'v', as: 's' }] }, slices(batch, 700));
  const rows = rowsOfAll(out.batches);
  t.is(rows[0]!.s, 2_147_483_647n * BigInt(n));
  // Force the float64 accumulator over 2^52 many times.
  const many = makeBatch({ v: col(new Int32(), Array.from({ length: 3_000_000 }, (_, i) => (i % 2 ? 2_147_483_647 : -5))) });
  const r2 = rowsOfAll(run1('aggregate', { aggregates: [{ fn: 'sum', column: 'v', as: 's' }] }, [many]).batches);
  t.is(r2[0]!.s, 1_500_000n * 2_147_483_647n - 1_500_000n * 5n);
});

