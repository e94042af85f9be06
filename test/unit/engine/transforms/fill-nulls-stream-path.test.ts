import test from 'ava';
import type { RecordBatch } from 'apache-arrow';
import { SynqxError, type FieldProblem } from '../../../../src/core/errors.js';
import type { RuntimeTransformNode } from '../../../../src/engine/runtime/runtime-graph.js';
import { prepareTransform, PreparedStream } from '../../../../src/engine/runtime/stream-actor.js';
import { PreparedTransform, TransformPool } from '../../../../src/engine/runtime/transform-pool.js';
import { buildTransform, findStreamTransform, findTransform, isStreamTransform, validateTransformConfig } from '../../../../src/engine/transforms/registry.js';
import { snapshotBuffers } from '../../../helpers/arrow-batches.js';
import { input, many, nulls } from '../../../helpers/conformance-batches.js';
import { createOperator, drive, rowsOfAll, slices } from '../../../helpers/stream-driver.js';

// fill_nulls is one registry entry (batch) whose `strategy` configs run as a stream operator: which
// path a node takes follows its config. The strategies also pass the checks stream-conformance.test.ts
// runs on every stream transform (that suite is keyed by transform name, so they are repeated here).

const STRATEGIES = ['forward', 'backward', 'mean', 'median', 'mode'] as const;

test('a literal fill stays on the pool; a computed strategy takes the stream path', (t) => {
  t.is(findTransform('fill_nulls')?.kind, 'batch');
  for (const config of [{ values: { a: 0 } }, { value: 0 }, { value: 'x', columns: ['b'] }, { strategy: 'constant', value: 0 }]) {
    t.false(isStreamTransform('fill_nulls', config), JSON.stringify(config));
    const err = t.throws(() => findStreamTransform('fill_nulls', config)) as SynqxError;
    t.is(err.code, 'INTERNAL');
    t.is(typeof buildTransform('fill_nulls', config), 'function');
  }
  for (const strategy of [...STRATEGIES, 'ffill', 'pad', 'bfill', 'backfill']) {
    const config = { strategy };
    t.true(isStreamTransform('fill_nulls', config), strategy);
    t.is(findStreamTransform('fill_nulls', config).kind, 'stream');
    const err = t.throws(() => buildTransform('fill_nulls', config)) as SynqxError;
    t.is(err.code, 'INTERNAL', 'the pool never gets a strategy config');
  }
  // A bad config goes the pool's way, which reports its problems.
  t.false(isStreamTransform('fill_nulls', { strategy: 'sideways' }));
  t.true(isStreamTransform('sort', { by: ['a'] }));
  t.false(isStreamTransform('filter', { condition: 'a > 1' }));
});

test('prepareTransform sends a fill_nulls node to the pool or to its actor by its config', (t) => {
  const pool = new TransformPool({ mode: 'inline' });
  const node = (config: unknown): RuntimeTransformNode => ({ id: 'f', order: 0, kind: 'transform', transform: 'fill_nulls', config, inputs: ['s'], outputs: ['d'] });
  const now = new Date(0);
  t.true(prepareTransform(pool, node({ values: { a: 0 } }), [], now) instanceof PreparedTransform);
  t.true(prepareTransform(pool, node({ strategy: 'forward' }), [], now) instanceof PreparedStream);
  const err = t.throws(() => prepareTransform(pool, node({ strategy: 'forward', value: 1 }), [], now)) as SynqxError;
  t.is(err.code, 'VALIDATION_FAILED');
});

test('strategy config problems are 422-style field problems', (t) => {
  const fields = (config: unknown) => validateTransformConfig('fill_nulls', config).map((p: FieldProblem) => p.field);
  t.deepEqual(fields({ strategy: 'forward' }), []);
  t.deepEqual(fields({ strategy: 'mean', columns: ['a'], max_rows: 10 }), []);
  t.deepEqual(fields({ strategy: 'constant', value: 0 }), []);
  t.deepEqual(fields({ strategy: 'constant', value: 0, columns: ['a'] }), []);
  t.deepEqual(fields({ strategy: 'constant' }), ['config.value']);
  t.deepEqual(fields({ strategy: 'forward', value: 0 }), ['config.value']);
  t.deepEqual(fields({ strategy: 'mean', values: { a: 1 } }), ['config.values']);
  t.deepEqual(fields({ value: 0, max_rows: 5 }), ['config.max_rows']);
  t.deepEqual(fields({ strategy: 'sideways' }), ['config.strategy']);
  t.deepEqual(fields({ strategy: 'backward', max_rows: 0 }), ['config.max_rows']);
  t.deepEqual(fields({ strategy: 'mode', columns: [] }), ['config.columns']);
  t.deepEqual(fields({}), ['config.values']);
});

// The stream conformance checks, per strategy.


const run = (config: unknown, batches: readonly RecordBatch[]) => drive(createOperator('fill_nulls', config), [input().schema], [batches]);

const bad: unknown[] = [
  { strategy: 'ffil' },
  { strategy: 'mean', value: 0 },
  { strategy: 'forward', values: { a: 0 } },
  { strategy: 'backward', max_rows: -1 },
  { strategy: 'mode', columns: 'a' },
  { strategy: 'median', extra: 1 },
];

for (const strategy of STRATEGIES) {
  const config = { strategy };

  test(`fill_nulls ${strategy}: empty input gives no rows, with the output schema`, (t) => {
    t.is(run(config, []).rowsOut, 0);
    const empty = run(config, [input().slice(0, 0)]);
    t.is(empty.rowsOut, 0);
    t.deepEqual(
      empty.schema.fields.map((f) => `${f.name}:${String(f.type)}`),
      input().schema.fields.map((f) => `${f.name}:${String(f.type)}`),
    );
  });

  test(`fill_nulls ${strategy}: one row`, (t) => {
    t.is(run(config, [input().slice(3, 4)]).rowsOut, 1);
  });

  test(`fill_nulls ${strategy}: many batches give the same rows as one batch, and every NULL with a value to take is filled`, (t) => {
    const whole = rowsOfAll(run(config, [many()]).batches);
    t.deepEqual(rowsOfAll(run(config, slices(many(), 7)).batches), whole);
    t.is(whole.length, 60);
    // Every column of `many` starts with a NULL (forward leaves it) and ends with a value; mean and
    // median leave the text column b alone.
    const leftNull = whole.flatMap((r, i) => Object.entries(r).flatMap(([k, v]) => (v === null ? [`${k}${i}`] : [])));
    const textNulls = Array.from({ length: 12 }, (_, i) => `b${i * 5}`);
    t.deepEqual(leftNull, strategy === 'forward' ? ['a0', 'b0', 'c0'] : strategy === 'mean' || strategy === 'median' ? textNulls : []);
  });

  test(`fill_nulls ${strategy}: NULLs everywhere never crash and stay NULL`, (t) => {
    const out = rowsOfAll(run(config, [nulls()]).batches);
    t.deepEqual(out, [
      { a: null, b: null, c: null },
      { a: null, b: null, c: null },
    ]);
  });

  test(`fill_nulls ${strategy}: input batches are not mutated`, (t) => {
    const batch = many();
    const parts = slices(batch, 13);
    const before = snapshotBuffers(batch);
    const partsBefore = parts.map(snapshotBuffers);
    run(config, parts);
    run(config, parts);
    t.is(snapshotBuffers(batch), before);
    t.deepEqual(parts.map(snapshotBuffers), partsBefore);
  });

  test(`fill_nulls ${strategy}: counters add up (rows in = rows out)`, (t) => {
    const op = createOperator('fill_nulls', config);
    t.true(op.rowWise);
    const out = run(config, slices(many(), 9));
    t.is(out.rowsIn, 60);
    t.is(out.rowsOut, 60);
  });
}

for (const config of bad) {
  test(`fill_nulls rejects strategy config ${JSON.stringify(config)}`, (t) => {
    const err = t.throws(() => findStreamTransform('fill_nulls', config)) as SynqxError;
    t.is(err.code, 'VALIDATION_FAILED');
    const problems = err.details as FieldProblem[];
    t.true(problems.length > 0);
    for (const p of problems) t.regex(p.field, /^config(\.|$)/);
    t.deepEqual(validateTransformConfig('fill_nulls', config), problems);
    const created = t.throws(() => createOperator('fill_nulls', config)) as SynqxError;
    t.deepEqual(created.details, problems);
  });
}
