import test from 'ava';
import { createHash } from 'node:crypto';
import { Bool, DataType, Float64, Int32, Int64, Int8, TimestampMicrosecond, Utf8 } from 'apache-arrow';
import { SynqxError, type FieldProblem } from '../../../../src/core/errors.js';
import { buildTransform, validateTransformConfig } from '../../../../src/engine/transforms/registry.js';
import { splitOutput, type TransformContext } from '../../../../src/engine/transforms/transform.js';
import { col, makeBatch, rowsOf, snapshotBuffers } from '../../../helpers/arrow-batches.js';

const ctx: TransformContext = { now: new Date('2024-01-01T00:00:00Z'), nodeId: 'n1' };

const people = () =>
  makeBatch({
    id: col(new Int32(), [1, 2, null]),
    name: col(new Utf8(), ['Ada', null, 'Grace']),
    email: col(new Utf8(), ['ada@example.com', 'bob@example.org', null]),
    score: col(new Float64(), [1.5, null, 3]),
    big: col(new Int64(), [10n, null, 30n]),
    ok: col(new Bool(), [true, null, false]),
  });

const run = (name: string, config: unknown, batch = people()) => splitOutput(buildTransform(name, config)(batch, ctx)).kept;
const names = (b: ReturnType<typeof run>) => b!.schema.fields.map((f) => f.name);

function dataError(t: import('ava').ExecutionContext, fn: () => unknown, pattern: RegExp): void {
  const err = t.throws(fn) as SynqxError;
  t.true(err instanceof SynqxError);
  t.is(err.code, 'DATA_ERROR');
  t.regex(err.message, pattern);
}

test('select keeps the given columns in the given order and their values', (t) => {
  const out = run('select', { columns: ['email', 'id'] });
  t.deepEqual(names(out), ['email', 'id']);
  t.deepEqual(rowsOf(out), [
    { email: 'ada@example.com', id: 1 },
    { email: 'bob@example.org', id: 2 },
    { email: null, id: null },
  ]);
});

test('select of an unknown column is a DATA_ERROR naming the input columns, even on the empty batch', (t) => {
  dataError(t, () => run('select', { columns: ['id', 'nope'] }), /select: column "nope" not found; the input has: id, name/);
  dataError(t, () => run('select', { columns: ['nope'] }, people().slice(0, 0)), /"nope"/);
});

test('drop_columns drops, and a missing column is a DATA_ERROR', (t) => {
  t.deepEqual(names(run('drop_columns', { columns: ['email', 'big'] })), ['id', 'name', 'score', 'ok']);
  dataError(t, () => run('drop_columns', { columns: ['nope'] }), /drop_columns: column "nope" not found/);
});

test('rename_columns renames in place; a missing old name is a DATA_ERROR; a clash is an error', (t) => {
  const out = run('rename_columns', { mapping: { name: 'full_name', id: 'person_id' } });
  t.deepEqual(names(out), ['person_id', 'full_name', 'email', 'score', 'big', 'ok']);
  t.is(rowsOf(out)[0]!['full_name'], 'Ada');
  dataError(t, () => run('rename_columns', { mapping: { nope: 'x' } }), /rename_columns: column "nope"/);
  const err = t.throws(() => run('rename_columns', { mapping: { name: 'email' } })) as SynqxError;
  t.regex(err.message, /two columns named "email"/);
});

test('fill_nulls fills with literals that fit each type and leaves other values alone', (t) => {
  const out = run('fill_nulls', { values: { id: -1, name: 'unknown', score: 0.25, big: 7, ok: true } });
  t.deepEqual(
    rowsOf(out).map((r) => [r['id'], r['name'], r['score'], r['big'], r['ok'], r['email']]),
    [
      [1, 'Ada', 1.5, 10n, true, 'ada@example.com'],
      [2, 'unknown', 0.25, 7n, true, 'bob@example.org'],
      [-1, 'Grace', 3, 30n, false, null],
    ],
  );
  t.true(DataType.isInt(out!.schema.fields[0]!.type));
  t.is(out!.getChildAt(0)!.nullCount, 0);
});

test('fill_nulls rejects a literal that does not fit the column type with a clear DATA_ERROR', (t) => {
  dataError(t, () => run('fill_nulls', { values: { id: 'x' } }), /value "x" for column "id" does not fit its type Int32: an integer column needs a whole number/);
  dataError(t, () => run('fill_nulls', { values: { id: 1.5 } }), /whole number/);
  dataError(t, () => run('fill_nulls', { values: { name: 3 } }), /text column needs a string/);
  dataError(t, () => run('fill_nulls', { values: { ok: 'yes' } }), /boolean/);
  const small = makeBatch({ v: col(new Int8(), [1, null]) });
  dataError(t, () => run('fill_nulls', { values: { v: 300 } }, small), /300 does not fit Int8/);
  dataError(t, () => run('fill_nulls', { values: { nope: 1 } }), /column "nope" not found/);
});

test('regex_replace rewrites every match by default, keeps NULLs, and supports groups and flags', (t) => {
  const out = run('regex_replace', { column: 'email', pattern: '@(\\w+)\\.', replacement: ' at $1 dot ' });
  t.deepEqual(rowsOf(out).map((r) => r['email']), ['ada at example dot com', 'bob at example dot org', null]);
  const all = run('regex_replace', { column: 'name', pattern: 'a', replacement: '_' });
  t.deepEqual(rowsOf(all).map((r) => r['name']), ['Ad_', null, 'Gr_ce']);
  const ci = run('regex_replace', { column: 'name', pattern: 'a', replacement: '_', flags: 'i' });
  t.deepEqual(rowsOf(ci).map((r) => r['name']), ['_da', null, 'Gr_ce']);
});

test('regex_replace: an invalid regex is a validation problem on config.pattern; a non-text column a DATA_ERROR', (t) => {
  const problems = validateTransformConfig('regex_replace', { column: 'name', pattern: '([a-', replacement: '' });
  t.is(problems.length, 1);
  t.is(problems[0]!.field, 'config.pattern');
  t.is(problems[0]!.error_type, 'invalid_regex');
  dataError(t, () => run('regex_replace', { column: 'id', pattern: '1', replacement: '2' }), /column "id" is Int32, not text/);
});

test('pii_mask: redact, salted SHA-256 hash and partial, NULL stays NULL, output is text', (t) => {
  const out = run('pii_mask', {
    masks: [
      { column: 'name', strategy: 'redact' },
      { column: 'email', strategy: 'hash' },
      { column: 'id', strategy: 'partial' },
    ],
    salt: 's3cret',
  });
  const rows = rowsOf(out);
  t.deepEqual(rows.map((r) => r['name']), ['[REDACTED]', null, '[REDACTED]']);
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  t.deepEqual(rows.map((r) => r['email']), [sha('s3cretada@example.com'), sha('s3cretbob@example.org'), null]);
  t.regex(rows[0]!['email'] as string, /^[0-9a-f]{64}$/);
  t.deepEqual(rows.map((r) => r['id']), ['*', '*', null]);
  t.true(DataType.isUtf8(out!.schema.fields[0]!.type));
  const partial = run('pii_mask', { masks: [{ column: 'email', strategy: 'partial' }] });
  t.deepEqual(rowsOf(partial).map((r) => r['email']), ['***********.com', '***********.org', null]);
});

test('pii_mask masks a timestamp or number as its text, not as its internal value', (t) => {
  const batch = makeBatch({
    at: col(new TimestampMicrosecond('UTC'), [Date.UTC(2024, 0, 31, 12, 0, 0), null]),
    amount: col(new Float64(), [12.5, 3]),
  });
  const rows = rowsOf(run('pii_mask', { masks: [{ column: 'at', strategy: 'hash' }, { column: 'amount', strategy: 'partial' }], salt: 's' }, batch));
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  t.deepEqual(rows.map((r) => r['at']), [sha('s2024-01-31 12:00:00'), null]);
  t.deepEqual(rows.map((r) => r['amount']), ['****', '*']);
});

test('pii_mask: a different salt gives a different hash', (t) => {
  const hash = (salt: string) => rowsOf(run('pii_mask', { masks: [{ column: 'email', strategy: 'hash' }], salt }))[0]!['email'];
  t.not(hash('a'), hash('b'));
});

test('pii_mask: without config.salt, hash uses the run context salt; the config salt overrides it; neither fails before any row', (t) => {
  const hash = (config: unknown, salt?: string) =>
    rowsOf(splitOutput(buildTransform('pii_mask', config)(people(), { ...ctx, ...(salt === undefined ? {} : { salt }) })).kept)[0]!['email'];
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  const masks = [{ column: 'email', strategy: 'hash' }];
  t.deepEqual(validateTransformConfig('pii_mask', { masks }), []);
  t.is(hash({ masks }, 'pipeline-a'), sha('pipeline-aada@example.com'));
  t.not(hash({ masks }, 'pipeline-a'), hash({ masks }, 'pipeline-b'));
  t.is(hash({ masks, salt: 'explicit' }, 'pipeline-a'), sha('explicitada@example.com'));
  const err = t.throws(() => buildTransform('pii_mask', { masks })(people().slice(0, 0), ctx)) as SynqxError;
  t.is(err.code, 'CONFIG_INVALID');
  t.regex(err.message, /hash strategy needs a salt/);
  t.notThrows(() => buildTransform('pii_mask', { masks: [{ column: 'email', strategy: 'redact' }] })(people(), ctx));
});

test('derive adds new columns and replaces existing ones in place, NULL in → NULL out', (t) => {
  const out = run('derive', { columns: { double: 'score * 2', name: 'upper(name)', flag: 'id > 1', label: "'x'" } });
  t.deepEqual(names(out), ['id', 'name', 'email', 'score', 'big', 'ok', 'double', 'flag', 'label']);
  const rows = rowsOf(out);
  t.deepEqual(rows.map((r) => r['double']), [3, null, 6]);
  t.deepEqual(rows.map((r) => r['name']), ['ADA', null, 'GRACE']);
  t.deepEqual(rows.map((r) => r['flag']), [false, true, null]);
  t.deepEqual(rows.map((r) => r['label']), ['x', 'x', 'x']);
});

test('derive: every expression sees the input columns, not ones derived in the same step', (t) => {
  const out = run('derive', { columns: { id: 'id + 100', copy: 'id' } });
  const rows = rowsOf(out);
  t.deepEqual(rows.map((r) => r['id']), [101, 102, null]);
  t.deepEqual(rows.map((r) => r['copy']), [1, 2, null]);
});

test('derive: syntax errors are validation problems under config.columns.<name>; unknown columns fail on the first batch', (t) => {
  const problems = validateTransformConfig('derive', { columns: { total: 'score +' } });
  t.is(problems.length, 1);
  t.is(problems[0]!.field, 'config.columns.total');
  const fn = buildTransform('derive', { columns: { x: 'nope + 1' } });
  const err = t.throws(() => fn(people().slice(0, 0), ctx)) as SynqxError;
  t.true(err instanceof SynqxError);
});

test('no row transform mutates its input', (t) => {
  const configs: [string, unknown][] = [
    ['select', { columns: ['name'] }],
    ['drop_columns', { columns: ['name'] }],
    ['rename_columns', { mapping: { name: 'n' } }],
    ['fill_nulls', { values: { name: '?', id: 0 } }],
    ['regex_replace', { column: 'name', pattern: '.', replacement: '#' }],
    ['pii_mask', { masks: [{ column: 'name', strategy: 'hash' }], salt: 'x' }],
    ['derive', { columns: { name: "concat(name, '!')", z: 'score + 1' } }],
  ];
  for (const [name, config] of configs) {
    const batch = people();
    const before = snapshotBuffers(batch);
    const rows = rowsOf(batch);
    run(name, config, batch);
    t.is(snapshotBuffers(batch), before, name);
    t.deepEqual(rowsOf(batch), rows, name);
  }
});

test('bad configs are VALIDATION_FAILED with config.* fields', (t) => {
  const cases: [string, unknown, string][] = [
    ['select', { columns: ['a', 'a'] }, 'config.columns'],
    ['drop_columns', { columns: [] }, 'config.columns'],
    ['rename_columns', { mapping: { a: '' } }, 'config.mapping.a'],
    ['fill_nulls', { values: { a: { nested: 1 } } }, 'config.values.a'],
    ['regex_replace', { column: 'a', pattern: 'x', replacement: '', flags: 'gq' }, 'config.flags'],
    ['pii_mask', { masks: [{ column: 'a', strategy: 'hash' }], salt: '' }, 'config.salt'],
    ['pii_mask', { masks: [{ column: 'a', strategy: 'redact', extra: 1 }] }, 'config.masks.0'],
    ['derive', { columns: {} }, 'config.columns'],
  ];
  for (const [name, config, field] of cases) {
    const problems: FieldProblem[] = validateTransformConfig(name, config);
    t.true(problems.some((p) => p.field === field), `${name}: ${JSON.stringify(problems)}`);
  }
});

test('filter conditions may use now(), fixed at the run start passed in the context', async (t) => {
  const { buildTransform } = await import('../../../../src/engine/transforms/registry.js');
  const { tableFromArrays } = await import('apache-arrow');
  const batch = tableFromArrays({ id: Int32Array.from([1, 2]) }).batches[0]!;
  const keepAll = buildTransform('filter', { condition: "now() > cast('2000-01-01' as timestamp)" });
  const keepNone = buildTransform('filter', { condition: "now() < cast('2000-01-01' as timestamp)" });
  const ctx = { now: new Date('2026-01-01T00:00:00Z'), nodeId: 'f' };
  t.is(splitOutput(keepAll(batch, ctx)).kept?.numRows, 2);
  t.is(splitOutput(keepNone(batch, ctx)).kept?.numRows ?? 0, 0);
});
