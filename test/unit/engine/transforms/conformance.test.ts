import test from 'ava';
import { Float64, Int32, Utf8 } from 'apache-arrow';
import { SynqxError, type FieldProblem } from '../../../../src/core/errors.js';
import { TRANSFORMS, buildTransform, findTransform, validateTransformConfig } from '../../../../src/engine/transforms/registry.js';
import { ERROR_COLUMN, rejectedSchema } from '../../../../src/engine/transforms/rejected-rows.js';
import { splitOutput, type TransformContext } from '../../../../src/engine/transforms/transform.js';
import { col, makeBatch, rowsOf, snapshotBuffers } from '../../../helpers/arrow-batches.js';

// The suite every registered batch transform passes: a valid and an invalid config per transform; a
// registry entry without one here fails the "covered" test. Stream transforms (stateful, fan-in) have
// theirs in stream-conformance.test.ts.
// `nullRows`: rows left from two all-NULL rows (a condition on NULL is NULL, which drops the row).
// `filled`: columns the transform fills, so they are non-NULL after the all-NULL batch.
// `rejected`: rows of the 4-row input a row-rejecting transform (validate, type_cast) turns away.
// `filtered`: rows of the 4-row input a filtering transform drops (records_filtered).
const samples: Record<string, { config: unknown; bad: unknown[]; nullRows: number; filled?: string[]; rejected?: number; filtered?: number }> = {
  noop: { config: {}, bad: [{ unknown: 1 }], nullRows: 2 },
  map: { config: { rename: { a: 'x' }, drop: ['b'] }, bad: [{ rename: { a: 1 } }, { drops: ['b'] }, { drop: [] }, { rename: { a: 'x' }, drop: ['a'] }], nullRows: 2 },
  filter: { config: { condition: 'a > 1' }, bad: [{ condition: '' }, {}, { cond: 'a > 1' }, { condition: 'a >' }], nullRows: 0, filtered: 2 },
  pandas_transform: {
    config: { drop_columns: ['b'], rename_columns: { a: 'x' }, filter_query: 'x > 1' },
    bad: [{ filter_query: 5 }, { drop_columns: 'b' }, { filter_query: "x = 'open" }, { extra: true }],
    nullRows: 0,
    filtered: 2,
  },
  select: { config: { columns: ['c', 'a'] }, bad: [{ columns: [] }, { columns: ['a', 'a'] }, { cols: ['a'] }, { columns: 'a' }], nullRows: 2 },
  drop_columns: { config: { columns: ['b'] }, bad: [{ columns: [] }, {}, { columns: [1] }, { columns: ['b'], extra: 1 }], nullRows: 2 },
  rename_columns: { config: { mapping: { a: 'x', b: 'y' } }, bad: [{ mapping: {} }, { mapping: { a: 1 } }, { rename: { a: 'x' } }], nullRows: 2 },
  derive: {
    config: { columns: { d: 'a * 2', b: 'upper(b)' } },
    bad: [{ columns: {} }, { columns: { d: 'a *' } }, { columns: { d: 5 } }, { exprs: { d: 'a' } }],
    nullRows: 2,
  },
  fill_nulls: {
    config: { values: { a: 0, b: 'n/a' } },
    bad: [{ values: {} }, { values: { a: null } }, { values: { a: [1] } }, { fill: { a: 0 } }],
    nullRows: 2,
    filled: ['a', 'b'],
  },
  regex_replace: {
    config: { column: 'b', pattern: '[xz]', replacement: '#' },
    bad: [{ column: 'b', pattern: '(', replacement: '' }, { column: 'b', pattern: 'x' }, { column: 'b', pattern: 'x', replacement: '', flags: 'q' }, { column: 'b', pattern: 'x', replacement: '', other: 1 }],
    nullRows: 2,
  },
  pii_mask: {
    config: { masks: [{ column: 'b', strategy: 'hash' }, { column: 'a', strategy: 'partial' }], salt: 'pipeline-salt' },
    bad: [{ masks: [] }, { masks: [{ column: 'b', strategy: 'hash' }], salt: '' }, { masks: [{ column: 'b', strategy: 'scramble' }] }, { masks: [{ column: 'b', strategy: 'redact' }, { column: 'b', strategy: 'partial' }] }],
    nullRows: 2,
  },
  type_cast: {
    config: { columns: { a: 'int8', c: 'numeric', b: 'text' }, on_error: 'quarantine', quarantine_asset_id: 7 },
    bad: [
      { columns: {} },
      { columns: { a: 'int3' } },
      { columns: { a: 'int4' }, on_error: 'skip' },
      { columns: { a: 'int4' }, on_error: 'quarantine' },
      { columns: { a: 'int4' }, quarantine_asset_id: 7 },
      { cols: { a: 'int4' } },
    ],
    nullRows: 2,
    rejected: 0,
  },
  validate: {
    config: { rules: [{ column: 'a', rule: 'not_null' }, { column: 'a', rule: 'min', value: 2 }], on_error: 'quarantine', quarantine_asset_id: 7 },
    bad: [
      { rules: [] },
      { rules: [{ column: 'a', rule: 'positive' }] },
      { rules: [{ column: 'a', rule: 'min' }] },
      { rules: [{ column: 'a', rule: 'not_null', value: 1 }] },
      { rules: [{ column: 'b', rule: 'regex', pattern: '(' }] },
      { rules: [{ rule: 'expression', condition: 'a >' }] },
      { rules: [{ column: 'a', rule: 'not_null' }], on_error: 'quarantine' },
      { rules: [{ column: 'a', rule: 'not_null' }], quarantine_asset_id: 7 },
    ],
    // Both all-NULL rows fail not_null: none kept, both rejected.
    nullRows: 0,
    // Row 1 (a = 1) fails min 2, row 3 (a = NULL) fails not_null.
    rejected: 2,
  },
};

const ctx: TransformContext = { now: new Date('2024-01-01T00:00:00Z'), nodeId: 'n1' };

const input = () =>
  makeBatch({
    a: col(new Int32(), [1, 2, null, 3]),
    b: col(new Utf8(), ['x', null, 'z', 'w']),
    c: col(new Float64(), [0.5, null, 1.5, 2.5]),
  });

test('every registered batch transform has conformance samples', (t) => {
  t.deepEqual(TRANSFORMS.filter((d) => d.kind === 'batch').map((d) => d.name).sort(), Object.keys(samples).sort());
});

test('registry entries keep their spec fields', (t) => {
  for (const d of TRANSFORMS) {
    t.is(typeof d.description, 'string');
    t.true(d.operatorTypes.length > 0);
    t.true(d.inputs === 'one' || d.inputs === 'many');
    t.true(d.kind === 'batch' || d.kind === 'stream');
  }
  t.is(findTransform('filter')?.name, 'filter');
  t.is(findTransform('nope'), undefined);
});

for (const [name, sample] of Object.entries(samples)) {
  test(`${name}: empty batch gives an empty batch with the output schema`, (t) => {
    const fn = buildTransform(name, sample.config);
    const empty = input().slice(0, 0);
    const { kept: out, rejected } = splitOutput(fn(empty, ctx));
    t.truthy(out);
    t.is(out!.numRows, 0);
    t.is(rejected, null);
    const full = splitOutput(fn(input(), ctx)).kept;
    t.deepEqual(out!.schema.fields.map((f) => f.name), full!.schema.fields.map((f) => f.name));
  });

  test(`${name}: one row`, (t) => {
    const fn = buildTransform(name, sample.config);
    const one = input().slice(3, 4);
    const out = splitOutput(fn(one, ctx)).kept;
    t.is(out?.numRows ?? 0, 1);
  });

  test(`${name}: NULLs pass through or drop, never crash`, (t) => {
    const fn = buildTransform(name, sample.config);
    const nulls = makeBatch({ a: col(new Int32(), [null, null]), b: col(new Utf8(), [null, null]), c: col(new Float64(), [null, null]) });
    const { kept: out, rejected } = splitOutput(fn(nulls, ctx));
    t.is(out?.numRows ?? 0, sample.nullRows);
    const filled = new Set(sample.filled ?? []);
    for (const row of rowsOf(out)) for (const [k, v] of Object.entries(row)) filled.has(k) ? t.not(v, null) : t.is(v, null);
    // Rejected rows keep their original (NULL) values; only the reason is filled in.
    for (const row of rowsOf(rejected)) for (const [k, v] of Object.entries(row)) k === ERROR_COLUMN ? t.regex(v as string, /failed|cannot cast/) : t.is(v, null);
  });

  test(`${name}: input batch is not mutated`, (t) => {
    const fn = buildTransform(name, sample.config);
    const batch = input();
    const before = snapshotBuffers(batch);
    const rowsBefore = rowsOf(batch);
    fn(batch, ctx);
    fn(batch, ctx);
    t.is(snapshotBuffers(batch), before);
    t.deepEqual(rowsOf(batch), rowsBefore);
  });

  test(`${name}: many batches give the rows one batch gives, in order`, (t) => {
    const fn = buildTransform(name, sample.config);
    const whole = splitOutput(fn(input(), ctx));
    const parts = [input().slice(0, 1), input().slice(1, 1), input().slice(1, 3), input().slice(3, 4)].map((b) => splitOutput(fn(b, ctx)));
    t.deepEqual(parts.flatMap((p) => rowsOf(p.kept)), rowsOf(whole.kept));
    t.deepEqual(parts.flatMap((p) => rowsOf(p.rejected)), rowsOf(whole.rejected));
  });

  test(`${name}: counters add up (in = out + filtered + error; rejected rows are input rows + the reason)`, (t) => {
    const batch = input();
    const { kept, rejected } = splitOutput(buildTransform(name, sample.config)(batch, ctx));
    const out = kept?.numRows ?? 0;
    const errors = rejected?.numRows ?? 0;
    t.is(errors, sample.rejected ?? 0);
    t.is(batch.numRows - out - errors, sample.filtered ?? 0, 'records_filtered is what is neither out nor error');
    if (sample.rejected !== undefined) t.is(out + errors, batch.numRows, 'a rejecting transform neither filters nor duplicates rows');
    if (!rejected) return;
    t.deepEqual(rejected.schema.fields.map((f) => [f.name, String(f.type)]), rejectedSchema(batch.schema).fields.map((f) => [f.name, String(f.type)]));
    const inputRows = rowsOf(batch);
    for (const row of rowsOf(rejected)) {
      const { [ERROR_COLUMN]: reason, ...values } = row;
      t.true(typeof reason === 'string' && reason.length > 0);
      t.true(inputRows.some((r) => JSON.stringify(r) === JSON.stringify(values)), 'a rejected row carries its original values');
    }
  });

  for (const bad of sample.bad) {
    test(`${name}: rejects config ${JSON.stringify(bad)}`, (t) => {
      const err = t.throws(() => buildTransform(name, bad)) as SynqxError;
      t.true(err instanceof SynqxError);
      t.is(err.code, 'VALIDATION_FAILED');
      const problems = err.details as FieldProblem[];
      t.true(problems.length > 0);
      for (const p of problems) t.regex(p.field, /^config(\.|$)/);
      t.deepEqual(validateTransformConfig(name, bad), problems);
    });
  }

  test(`${name}: accepts its sample config`, (t) => {
    t.deepEqual(validateTransformConfig(name, sample.config), []);
  });
}

test('an unknown transform name is a validation problem on operator_class', (t) => {
  const problems = validateTransformConfig('pivot', {});
  t.is(problems.length, 1);
  t.is(problems[0]!.field, 'operator_class');
  t.is(problems[0]!.message, `unknown transform "pivot" (known: ${TRANSFORMS.map((d) => d.name).join(', ')})`);
  t.regex(problems[0]!.message, /\(known: pandas_transform, filter, map, .*, pii_mask, .*type_cast, validate.*\)/);
});

test('expression syntax errors are reported under the config key with their position', (t) => {
  const [problem] = validateTransformConfig('filter', { condition: 'age > and x' }) as (FieldProblem & { position: number })[];
  t.is(problem!.field, 'config.condition');
  t.is(problem!.error_type, 'expression_syntax');
  t.is(problem!.position, 7);
  const [p2] = validateTransformConfig('pandas_transform', { filter_query: 'age >' });
  t.is(p2!.field, 'config.filter_query');
});

test('type errors in the parts of an expression that read no column are found at validation, with their position', (t) => {
  const problem = (name: string, config: unknown) => validateTransformConfig(name, config)[0] as (FieldProblem & { position: number }) | undefined;
  t.like(problem('filter', { condition: "age > 1 + 'a'" }), { field: 'config.condition', error_type: 'expression_type', position: 11 });
  t.like(problem('derive', { columns: { n: "cast('abc' as int) + qty" } }), { field: 'config.columns.n', error_type: 'expression_type', position: 1 });
  t.like(problem('filter', { condition: "name = regexp_replace('x', '(', 'y')" }), { field: 'config.condition', error_type: 'expression_type' });
  // Whatever depends on a column waits for the first batch; a constant that fails to compute (1 / 0) for the run.
  t.deepEqual(validateTransformConfig('filter', { condition: "lower(age) = 'x'" }), []);
  t.deepEqual(validateTransformConfig('filter', { condition: 'age > 1 / 0' }), []);
});
