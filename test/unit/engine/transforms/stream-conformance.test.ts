import test from 'ava';
import type { RecordBatch } from 'apache-arrow';
import { SynqxError, type FieldProblem } from '../../../../src/core/errors.js';
import { findStreamTransform, TRANSFORMS, validateTransformConfig } from '../../../../src/engine/transforms/registry.js';
import { snapshotBuffers } from '../../../helpers/arrow-batches.js';
import { input, many, nulls } from '../../../helpers/conformance-batches.js';
import { createOperator, drive, rowsOfAll, slices } from '../../../helpers/stream-driver.js';

// The suite every registered stream transform passes (the batch ones have conformance.test.ts). A
// sample gives a valid config, bad ones, how many inputs the transform reads, and the rows expected
// from an empty input, one row per input and two all-NULL rows per input.
interface Sample {
  config: unknown;
  bad: unknown[];
  inputs: number;
  emptyRows: number;
  oneRow: number;
  nullRows: number;
}

const samples: Record<string, Sample> = {
  deduplicate: {
    config: { keys: ['b'] },
    bad: [{ keys: ['a'], columns: ['a'] }, { keys: [] }, { keys: ['a', 'a'] }, { keys: ['a'], keep: 'middle' }, { keys: ['a'], max_keys: 0 }, { keys: ['a'], extra: 1 }],
    inputs: 1,
    emptyRows: 0,
    oneRow: 1,
    nullRows: 1,
  },
  aggregate: {
    config: {
      group_by: ['b'],
      aggregates: [
        { fn: 'count', as: 'n' },
        { column: 'a', fn: 'sum', as: 's' },
        { column: 'c', fn: 'avg', as: 'm' },
        { column: 'b', fn: 'max', as: 'mx' },
      ],
    },
    bad: [
      { aggregates: [] },
      { aggregates: [{ fn: 'sum', as: 'x' }] },
      { group_by: ['b'], aggregates: [{ fn: 'count', as: 'b' }] },
      { aggregates: [{ fn: 'median', column: 'a', as: 'x' }] },
      { aggregates: [{ fn: 'count', as: 'n', extra: 1 }] },
      { aggregates: [{ fn: 'count', as: 'n' }], max_groups: 1.5 },
    ],
    inputs: 1,
    emptyRows: 0,
    oneRow: 1,
    nullRows: 1,
  },
  sort: {
    config: { by: [{ column: 'a', direction: 'desc' }, { column: 'b', nulls: 'first' }] },
    bad: [{ by: [] }, { by: [{ column: 'a', direction: 'up' }] }, { by: [{ col: 'a' }] }, { by: [{ column: 'a' }], max_rows: -1 }, {}],
    inputs: 1,
    emptyRows: 0,
    oneRow: 1,
    nullRows: 2,
  },
  union: { config: {}, bad: [{ mode: 'random' }, { extra: 1 }, { mode: 1 }], inputs: 2, emptyRows: 0, oneRow: 2, nullRows: 4 },
  // Inner join of a row with itself matches once; NULL keys never match (SQL).
  join: {
    config: { keys: ['a'] },
    bad: [{}, { keys: [] }, { keys: ['a'], type: 'cross' }, { keys: ['a'], on: [{ left: 'a', right: 'a' }] }, { keys: ['a'], extra: 1 }, { keys: ['a'], max_build_rows: 0 }],
    inputs: 2,
    emptyRows: 0,
    oneRow: 1,
    nullRows: 0,
  },
  // The delta row replaces the primary row with its key; rows with NULL keys never match: all kept.
  merge: {
    config: { keys: ['a'] },
    bad: [{}, { keys: [] }, { keys: ['a'], primary: 'middle' }, { keys: ['a'], extra: 1 }, { keys: ['a'], max_delta_rows: -5 }],
    inputs: 2,
    emptyRows: 0,
    oneRow: 1,
    nullRows: 4,
  },
};


function run(name: string, sample: Sample, batches: readonly RecordBatch[]) {
  const op = createOperator(name, sample.config);
  const schemas = Array.from({ length: sample.inputs }, () => input().schema);
  return drive(
    op,
    schemas,
    schemas.map(() => batches),
  );
}

test('every registered stream transform has stream conformance samples', (t) => {
  t.deepEqual(TRANSFORMS.filter((d) => d.kind === 'stream').map((d) => d.name).sort(), Object.keys(samples).sort());
});

for (const [name, sample] of Object.entries(samples)) {
  test(`${name}: empty input gives no rows (or the one SQL row) with the output schema`, (t) => {
    const none = run(name, sample, []);
    const empty = run(name, sample, [input().slice(0, 0)]);
    t.is(none.rowsOut, sample.emptyRows);
    t.is(empty.rowsOut, sample.emptyRows);
    const full = run(name, sample, [input()]);
    t.deepEqual(none.schema.fields.map((f) => f.name), full.schema.fields.map((f) => f.name));
  });

  test(`${name}: one row`, (t) => {
    t.is(run(name, sample, [input().slice(3, 4)]).rowsOut, sample.oneRow);
  });

  test(`${name}: many batches give the same rows as one batch`, (t) => {
    const whole = rowsOfAll(run(name, sample, [many()]).batches);
    const cut = rowsOfAll(run(name, sample, slices(many(), 7)).batches);
    t.true(whole.length > 0);
    t.deepEqual(cut, whole);
  });

  test(`${name}: NULLs everywhere never crash`, (t) => {
    const out = run(name, sample, [nulls()]);
    t.is(out.rowsOut, sample.nullRows);
  });

  test(`${name}: input batches are not mutated`, (t) => {
    const batch = many();
    const parts = slices(batch, 13);
    const before = snapshotBuffers(batch);
    const partsBefore = parts.map(snapshotBuffers);
    run(name, sample, parts);
    run(name, sample, parts);
    t.is(snapshotBuffers(batch), before);
    t.deepEqual(parts.map(snapshotBuffers), partsBefore);
  });

  test(`${name}: counters add up`, (t) => {
    const op = createOperator(name, sample.config);
    const out = run(name, sample, slices(many(), 9));
    t.is(out.rowsIn, 60 * sample.inputs);
    if (op.rowWise) t.true(out.rowsOut <= out.rowsIn);
  });

  for (const bad of sample.bad) {
    test(`${name}: rejects config ${JSON.stringify(bad)}`, (t) => {
      const def = findStreamTransform(name, sample.config);
      const err = t.throws(() => def.validate(bad)) as SynqxError;
      t.true(err instanceof SynqxError);
      t.is(err.code, 'VALIDATION_FAILED');
      const problems = err.details as FieldProblem[];
      t.true(problems.length > 0);
      for (const p of problems) t.regex(p.field, /^config(\.|$)/);
      t.deepEqual(validateTransformConfig(name, bad), problems);
      const created = t.throws(() => createOperator(name, bad)) as SynqxError;
      t.deepEqual(created.details, problems);
    });
  }

  test(`${name}: accepts its sample config`, (t) => {
    t.deepEqual(validateTransformConfig(name, sample.config), []);
  });
}

test('a missing column is a DATA_ERROR naming it, raised by outputSchema before any data', (t) => {
  for (const [name, config] of [
    ['deduplicate', { keys: ['nope'] }],
    ['aggregate', { group_by: ['nope'], aggregates: [{ fn: 'count', as: 'n' }] }],
    ['aggregate', { aggregates: [{ fn: 'sum', column: 'nope', as: 'n' }] }],
    ['sort', { by: [{ column: 'nope' }] }],
  ] as const) {
    const err = t.throws(() => createOperator(name, config).outputSchema([input().schema])) as SynqxError;
    t.is(err.code, 'DATA_ERROR', name);
    t.regex(err.message, /column "nope" not found; the input has: a, b, c/);
  }
});
