import test from 'ava';
import { Float64, Int32, Utf8, type RecordBatch } from 'apache-arrow';
import { SynqxError } from '../../../../src/core/errors.js';
import { FIELD_META_PG_TYPE } from '../../../../src/core/data-ports.js';
import { buildTransform as buildAny } from '../../../../src/engine/transforms/registry.js';
import { splitOutput, type TransformContext } from '../../../../src/engine/transforms/transform.js';
import { col, makeBatch, rowsOf } from '../../../helpers/arrow-batches.js';

// These transforms never reject rows: only their kept batch matters.
const buildTransform = (name: string, config: unknown) => {
  const fn = buildAny(name, config);
  return (batch: RecordBatch, c: TransformContext) => splitOutput(fn(batch, c)).kept;
};

const ctx: TransformContext = { now: new Date('2024-01-01T00:00:00Z'), nodeId: 'n1' };

const users = () =>
  makeBatch({
    id: col(new Int32(), [1, 2, 3, 4, 5], { [FIELD_META_PG_TYPE]: 'integer' }),
    name: col(new Utf8(), ['ann', 'bob', 'cy', null, 'dee'], { [FIELD_META_PG_TYPE]: 'text' }),
    age: col(new Int32(), [30, 25, 40, 35, null]),
    country: col(new Utf8(), ['DE', 'DE', 'US', 'DE', 'DE']),
    score: col(new Float64(), [1, 2, 3, 4, 5]),
  });

test('noop returns the very same batch', (t) => {
  const b = users();
  t.is(buildTransform('noop', {})(b, ctx), b);
});

test('map renames and drops, keeping column types, metadata and data buffers', (t) => {
  const b = users();
  const out = buildTransform('map', { rename: { name: 'full_name', id: 'user_id' }, drop: ['score', 'country'] })(b, ctx)!;
  t.deepEqual(out.schema.fields.map((f) => f.name), ['user_id', 'full_name', 'age']);
  t.is(out.schema.fields[0]!.metadata.get(FIELD_META_PG_TYPE), 'integer');
  t.is(String(out.schema.fields[1]!.type), 'Utf8');
  // Zero copy: the renamed column is the input's column data.
  t.is(out.data.children[0], b.data.children[0]);
  t.deepEqual(rowsOf(out)[3], { user_id: 4, full_name: null, age: 35 });
});

test('map: an unknown column in rename or drop fails with the columns that exist', (t) => {
  const e1 = t.throws(() => buildTransform('map', { rename: { nope: 'x' } })(users(), ctx)) as SynqxError;
  t.is(e1.code, 'TRANSFORM_ERROR');
  t.regex(e1.message, /column "nope" not found; the input has: id, name, age, country, score/);
  t.throws(() => buildTransform('map', { drop: ['nope'] })(users(), ctx), { message: /column "nope" not found/ });
});

test('map: renaming onto an existing name is an error, not a silent duplicate', (t) => {
  t.throws(() => buildTransform('map', { rename: { name: 'age' } })(users(), ctx), { message: /two columns named "age"/ });
  // A swap is fine.
  const out = buildTransform('map', { rename: { name: 'age', age: 'name' } })(users(), ctx)!;
  t.deepEqual(out.schema.fields.map((f) => f.name), ['id', 'age', 'name', 'country', 'score']);
});

test('filter keeps the rows where the condition is true', (t) => {
  const out = buildTransform('filter', { condition: "age > 28 and country = 'DE'" })(users(), ctx)!;
  t.deepEqual(
    rowsOf(out).map((r) => r.id),
    [1, 4],
  );
  t.deepEqual(out.schema, users().schema);
});

test('filter: every row kept returns the input batch; none kept gives zero rows', (t) => {
  const b = users();
  t.is(buildTransform('filter', { condition: 'id > 0' })(b, ctx), b);
  t.is(buildTransform('filter', { condition: 'id > 100' })(b, ctx)!.numRows, 0);
});

test('filter: a bad column reference fails on the empty schema batch, before data flows', (t) => {
  const err = t.throws(() => buildTransform('filter', { condition: 'agee > 1' })(users().slice(0, 0), ctx)) as SynqxError;
  t.regex(err.message, /column "agee" not found/);
});

test('pandas_transform applies drop_columns, then rename_columns, then filter_query', (t) => {
  const out = buildTransform('pandas_transform', {
    drop_columns: ['score'],
    rename_columns: { age: 'years', missing: 'ignored' },
    filter_query: "years > 28 and country == 'DE'",
  })(users(), ctx)!;
  t.deepEqual(out.schema.fields.map((f) => f.name), ['id', 'name', 'years', 'country']);
  t.deepEqual(rowsOf(out), [
    { id: 1, name: 'ann', years: 30, country: 'DE' },
    { id: 4, name: null, years: 35, country: 'DE' },
  ]);
});

test('pandas_transform: dropping a missing column fails like pandas does', (t) => {
  t.throws(() => buildTransform('pandas_transform', { drop_columns: ['nope'] })(users(), ctx), { message: /column "nope" not found/ });
});

test('pandas_transform: the query sees renamed names, not the old ones', (t) => {
  t.throws(() => buildTransform('pandas_transform', { rename_columns: { age: 'years' }, filter_query: 'age > 1' })(users(), ctx), {
    message: /column "age" not found/,
  });
});

test('pandas_transform with no keys passes batches through', (t) => {
  const b = users();
  t.is(buildTransform('pandas_transform', {})(b, ctx), b);
});
