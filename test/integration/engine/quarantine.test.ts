import test from 'ava';
import { Int32, Utf8, type RecordBatch } from 'apache-arrow';
import { runGraph } from '../../../src/engine/runtime/coordinator.js';
import { MemoryRunReporter } from '../../../src/engine/runtime/memory-run-reporter.js';
import type { RuntimeGraph } from '../../../src/engine/runtime/runtime-graph.js';
import { TransformPool } from '../../../src/engine/runtime/transform-pool.js';
import { ERROR_COLUMN } from '../../../src/engine/transforms/rejected-rows.js';
import { col, makeBatch, rowsOf } from '../../helpers/arrow-batches.js';
import { MemorySink, MemorySource } from '../../helpers/memory-ports.js';

// Rows a transform rejects travel on its error output to a quarantine sink: across real worker
// threads (the rejected batch is a second IPC buffer in the reply) and inline alike.

const threads = new TransformPool({ mode: 'threads', threads: 2, inlineMaxRows: 0, maxInFlightPerNode: 3 });
const inline = new TransformPool({ mode: 'inline' });
test.after.always(() => threads.close());

const ROWS = 1000;
const BATCHES = 12;

/** Every 10th row has no email, every 7th a negative qty; qty is text so type_cast has work to do. */
function batch(i: number): RecordBatch {
  const ids = Array.from({ length: ROWS }, (_, k) => i * ROWS + k);
  return makeBatch({
    id: col(new Int32(), ids),
    email: col(new Utf8(), ids.map((id) => (id % 10 === 0 ? null : `u${id}@x.io`))),
    qty: col(new Utf8(), ids.map((id) => (id % 7 === 0 ? `-${id}` : id % 11 === 0 ? `x${id}` : String(id)))),
  });
}

function graph(source: MemorySource, good: MemorySink, bad: MemorySink, castBad: MemorySink, onError = 'quarantine'): RuntimeGraph {
  const quarantine = onError === 'quarantine' ? { quarantine_asset_id: 1 } : {};
  return {
    nodes: [
      { id: 'read', kind: 'source', source, inputs: [], outputs: ['cast'], order: 0 },
      {
        id: 'cast',
        kind: 'transform',
        transform: 'type_cast',
        config: { columns: { qty: 'int4' }, on_error: onError, ...quarantine },
        inputs: ['read'],
        outputs: ['check', 'cast__quarantine'],
        errorOutput: 'cast__quarantine',
        order: 1,
      },
      {
        id: 'check',
        kind: 'transform',
        transform: 'validate',
        config: { rules: [{ column: 'email', rule: 'not_null' }, { column: 'qty', rule: 'min', value: 0 }], on_error: onError, ...quarantine },
        inputs: ['cast'],
        outputs: ['write', 'check__quarantine'],
        errorOutput: 'check__quarantine',
        order: 2,
      },
      { id: 'write', kind: 'sink', sink: good, inputs: ['check'], outputs: [], order: 3 },
      { id: 'cast__quarantine', kind: 'sink', sink: castBad, inputs: ['cast'], outputs: [], order: 1 },
      { id: 'check__quarantine', kind: 'sink', sink: bad, inputs: ['check'], outputs: [], order: 2 },
    ],
  };
}

for (const [mode, pool] of [
  ['threads', threads],
  ['inline', inline],
] as const) {
  test(`${mode}: good rows reach the destination, rejected rows the quarantine sinks, counters add up`, async (t) => {
    const source = new MemorySource({ schema: batch(0).schema, batch, count: BATCHES });
    const [good, bad, castBad] = [new MemorySink(), new MemorySink(), new MemorySink()];
    const reporter = new MemoryRunReporter();
    const result = await runGraph(graph(source, good, bad, castBad), { pool, reporter });
    t.is(result.status, 'completed', result.error?.message);

    const all = Array.from({ length: ROWS * BATCHES }, (_, id) => id);
    const badCast = all.filter((id) => id % 7 !== 0 && id % 11 === 0);
    const afterCast = all.filter((id) => !badCast.includes(id));
    const failsCheck = afterCast.filter((id) => id % 10 === 0 || id % 7 === 0);
    const expectedGood = afterCast.filter((id) => !failsCheck.includes(id));

    t.deepEqual(good.batches.flatMap((b) => rowsOf(b).map((r) => r['id'])), expectedGood);
    t.is(String(good.schema!.fields.find((f) => f.name === 'qty')!.type), 'Int32');
    // Quarantine sinks were opened with the transform's input schema + _synqx_error, and got exactly that.
    t.deepEqual(castBad.schema!.fields.map((f) => `${f.name}:${String(f.type)}`), ['id:Int32', 'email:Utf8', 'qty:Utf8', `${ERROR_COLUMN}:Utf8`]);
    t.deepEqual(bad.schema!.fields.map((f) => `${f.name}:${String(f.type)}`), ['id:Int32', 'email:Utf8', 'qty:Int32', `${ERROR_COLUMN}:Utf8`]);
    const castRows = castBad.batches.flatMap((b) => rowsOf(b));
    t.deepEqual(castRows.map((r) => r['id']), badCast);
    t.is(castRows[0]![ERROR_COLUMN], `cannot cast 'x11' to int4 in column qty`);
    const badRows = bad.batches.flatMap((b) => rowsOf(b));
    t.deepEqual(badRows.map((r) => r['id']), failsCheck);
    // id 0: no email; its qty '-0' casts to 0, which passes min 0.
    t.is(badRows[0]![ERROR_COLUMN], 'validate rule not_null failed on column email: value is NULL');
    t.is(badRows[1]![ERROR_COLUMN], 'validate rule min failed on column qty: value -7 is less than 0');
    for (const s of [good, bad, castBad]) t.is(s.state, 'committed');

    const steps = new Map(result.steps.map((s) => [s.stepId, s]));
    const cast = steps.get('cast')!.counters;
    t.like(cast, { records_in: all.length, records_out: afterCast.length, records_error: badCast.length, records_filtered: 0 });
    const check = steps.get('check')!.counters;
    t.like(check, { records_in: afterCast.length, records_out: expectedGood.length, records_error: failsCheck.length, records_filtered: 0 });
    for (const c of [cast, check]) t.is(c.records_in, c.records_out + c.records_filtered + c.records_error);
    t.is(steps.get('check')!.status, 'warning', 'a step that rejected rows finishes with a warning');
    t.like(steps.get('check__quarantine')!.counters, { records_in: failsCheck.length, records_out: failsCheck.length });
    t.is(result.totals.total_failed, badCast.length + failsCheck.length);
    t.is(result.totals.total_loaded, expectedGood.length + badCast.length + failsCheck.length);
    // Every progress report already satisfies the identity.
    for (const p of reporter.progress('check')) t.is(p.counters.records_in, p.counters.records_out + p.counters.records_filtered + p.counters.records_error);
  });

  test(`${mode}: on_error fail stops the run at the first bad row and rolls every sink back`, async (t) => {
    const source = new MemorySource({ schema: batch(0).schema, batch, count: BATCHES });
    const [good, bad, castBad] = [new MemorySink(), new MemorySink(), new MemorySink()];
    const g = graph(source, good, bad, castBad, 'fail');
    const result = await runGraph(g, { pool });
    t.is(result.status, 'failed');
    t.is(result.error!.code, 'TRANSFORM_ERROR');
    t.regex(result.error!.message, /transform type_cast \(node cast\) failed: type_cast: row 12 of the batch: cannot cast 'x11' to int4 in column qty/);
    t.is(result.steps.find((s) => s.stepId === 'cast')!.status, 'failed');
    for (const s of [good, bad, castBad]) t.not(s.state, 'committed');
    t.is(good.state, 'aborted');
  });
}

test('quarantine sinks commit after the other loads: a load failing at commit leaves them uncommitted', async (t) => {
  const source = new MemorySource({ schema: batch(0).schema, batch, count: 2 });
  const commits: string[] = [];
  const good = new MemorySink({ failOnCommit: true, onCommit: () => commits.push('write') });
  const bad = new MemorySink({ onCommit: () => commits.push('check__quarantine') });
  const castBad = new MemorySink({ onCommit: () => commits.push('cast__quarantine') });
  // The quarantine steps come first in the graph's order (their transforms' order), and still commit last.
  const result = await runGraph(graph(source, good, bad, castBad), { pool: inline });
  t.is(result.status, 'failed');
  t.deepEqual(commits, ['write']);
  t.true(bad.rows > 0 && castBad.rows > 0, 'the quarantine sinks had rows to commit');
  t.is(bad.state, 'aborted');
  t.is(castBad.state, 'aborted');

  const ok = [new MemorySink({ onCommit: () => commits.push('write') }), new MemorySink({ onCommit: () => commits.push('check__quarantine') }), new MemorySink({ onCommit: () => commits.push('cast__quarantine') })] as const;
  commits.length = 0;
  t.is((await runGraph(graph(new MemorySource({ schema: batch(0).schema, batch, count: 2 }), ...ok), { pool: inline })).status, 'completed');
  t.deepEqual(commits, ['write', 'cast__quarantine', 'check__quarantine']);
});

test('a transform that rejects rows on a node without an error output is a TRANSFORM_ERROR, not a silent drop', async (t) => {
  const source = new MemorySource({ schema: batch(0).schema, batch, count: 1 });
  const sink = new MemorySink();
  const result = await runGraph({
    nodes: [
      { id: 'read', kind: 'source', source, inputs: [], outputs: ['check'], order: 0 },
      { id: 'check', kind: 'transform', transform: 'validate', config: { rules: [{ column: 'email', rule: 'not_null' }], on_error: 'quarantine', quarantine_asset_id: 1 }, inputs: ['read'], outputs: ['write'], order: 1 },
      { id: 'write', kind: 'sink', sink, inputs: ['check'], outputs: [], order: 2 },
    ],
  });
  t.is(result.status, 'failed');
  t.is(result.error!.code, 'TRANSFORM_ERROR');
  t.regex(result.error!.message, /rejected 100 rows but the node has no error output/);
  t.is(sink.state, 'aborted');
});

test('an error output that is not one of the node outputs is an invalid graph', async (t) => {
  const source = new MemorySource({ schema: batch(0).schema, batch, count: 1 });
  await t.throwsAsync(
    runGraph({
      nodes: [
        { id: 'read', kind: 'source', source, inputs: [], outputs: ['check'], order: 0 },
        { id: 'check', kind: 'transform', transform: 'noop', config: {}, inputs: ['read'], outputs: ['write'], errorOutput: 'elsewhere', order: 1 },
        { id: 'write', kind: 'sink', sink: new MemorySink(), inputs: ['check'], outputs: [], order: 2 },
      ],
    }),
    { message: /error output "elsewhere" is not one of the node's outputs/ },
  );
});
