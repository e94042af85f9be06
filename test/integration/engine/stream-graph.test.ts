import test from 'ava';
import { Float64, Int32, Utf8, type RecordBatch } from 'apache-arrow';
import { SynqxError } from '../../../src/core/errors.js';
import { runGraph, type RunOptions } from '../../../src/engine/runtime/coordinator.js';
import { MemoryRunReporter } from '../../../src/engine/runtime/memory-run-reporter.js';
import type { RuntimeGraph, RuntimeNode } from '../../../src/engine/runtime/runtime-graph.js';
import { TransformPool } from '../../../src/engine/runtime/transform-pool.js';
import { col, makeBatch } from '../../helpers/arrow-batches.js';
import { MemorySink, MemorySource } from '../../helpers/memory-ports.js';
import { rowsOfAll } from '../../helpers/stream-driver.js';

// Stream transforms inside whole graphs run by the coordinator: fan-in from two sources, stateful
// nodes between pool transforms, counters, failures and the deadlock guard.

const ROWS = 50;

/** Source `tag`: batch i holds ids i*ROWS…; `k` repeats every 10 ids; `v` is NULL every 7th. */
function batchOf(tag: string, i: number): RecordBatch {
  const ids = Array.from({ length: ROWS }, (_, r) => i * ROWS + r);
  return makeBatch({
    id: col(new Int32(), ids),
    k: col(new Utf8(), ids.map((x) => `${tag}${x % 10}`)),
    v: col(new Float64(), ids.map((x) => (x % 7 === 0 ? null : x / 2))),
  });
}

const source = (tag: string, count: number, delayMs?: number) =>
  new MemorySource({ schema: batchOf(tag, 0).schema, batch: (i) => batchOf(tag, i), count, delayMs });

const src = (id: string, s: MemorySource, outputs: string[]): RuntimeNode => ({ id, kind: 'source', source: s, inputs: [], outputs, order: 0 });
const sink = (id: string, s: MemorySink, input: string): RuntimeNode => ({ id, kind: 'sink', sink: s, inputs: [input], outputs: [], order: 9 });
const node = (id: string, transform: string, config: unknown, inputs: string[], outputs: string[], order = 5): RuntimeNode => ({
  id,
  kind: 'transform',
  transform,
  config,
  inputs,
  outputs,
  order,
});

async function run(graph: RuntimeGraph, options: RunOptions = {}) {
  const reporter = new MemoryRunReporter();
  const result = await runGraph(graph, { reporter, mailboxDepth: 2, ...options });
  return { result, reporter };
}

test('two sources → union (sequential) → filter on the pool → aggregate → sort → sink', async (t) => {
  const pool = new TransformPool({ mode: 'threads', threads: 1, inlineMaxRows: 0 });
  t.teardown(() => pool.close());
  const out = new MemorySink();
  const { result, reporter } = await run(
    {
      nodes: [
        src('a', source('a', 6), ['u']),
        src('b', source('b', 4), ['u']),
        node('u', 'union', {}, ['a', 'b'], ['f'], 1),
        node('f', 'filter', { condition: 'id >= 20' }, ['u'], ['agg'], 2),
        node('agg', 'aggregate', { group_by: ['k'], aggregates: [{ fn: 'count', as: 'n' }, { fn: 'sum', column: 'v', as: 's' }] }, ['f'], ['s'], 3),
        node('s', 'sort', { by: [{ column: 's', direction: 'desc' }] }, ['agg'], ['out'], 4),
        sink('out', out, 's'),
      ],
    },
    { pool },
  );
  t.is(result.status, 'completed', result.error?.message);
  // The same computation in plain JS.
  const expected = new Map<string, { n: number; s: number | null }>();
  for (const [tag, count] of [['a', 6], ['b', 4]] as const) {
    for (let id = 20; id < count * ROWS; id++) {
      const key = `${tag}${id % 10}`;
      const g = expected.get(key) ?? { n: 0, s: null };
      g.n++;
      if (id % 7 !== 0) g.s = (g.s ?? 0) + id / 2;
      expected.set(key, g);
    }
  }
  const want = [...expected].map(([k, g]) => ({ k, n: BigInt(g.n), s: g.s })).sort((x, y) => y.s! - x.s!);
  t.deepEqual(rowsOfAll(out.batches), want);
  t.deepEqual(out.schema!.fields.map((f) => f.name), ['k', 'n', 's']);
  const c = (id: string) => reporter.steps.get(id)!.counters;
  t.like(c('u'), { records_in: 500, records_out: 500, records_filtered: 0 });
  t.like(c('agg'), { records_in: 460, records_out: 20, records_filtered: 0 });
  t.like(c('s'), { records_in: 20, records_out: 20, records_filtered: 0 });
  t.true(c('u').bytes_processed > 0);
  t.is(result.totals.total_loaded, 20);
});

test('interleaved union takes from whichever input is ready: a slow input does not hold back a fast one', async (t) => {
  const out = new MemorySink();
  const seen: string[] = [];
  const tracking = new MemorySink({ onWrite: (_i, b) => seen.push(String(b.getChild('k')!.get(0))[0]!) });
  const { result } = await run({
    nodes: [
      src('slow', source('s', 3, 40), ['u']),
      src('fast', source('f', 12), ['u']),
      node('u', 'union', { mode: 'interleaved' }, ['slow', 'fast'], ['out', 'track']),
      sink('out', out, 'u'),
      sink('track', tracking, 'u'),
    ],
  });
  t.is(result.status, 'completed', result.error?.message);
  t.is(out.rows, 15 * ROWS);
  // The slow source (input 0) sleeps 40 ms before each batch; read in input order, its rows would come first.
  t.is(seen.length, 15);
  t.true(seen.indexOf('f') < seen.indexOf('s'), `fast batches came first: ${seen.join('')}`);
});

test('deduplicate in a graph: records_filtered = in − out once it finishes', async (t) => {
  const out = new MemorySink();
  const { result, reporter } = await run({
    nodes: [src('a', source('a', 5), ['d']), node('d', 'deduplicate', { keys: ['k'] }, ['a'], ['out']), sink('out', out, 'd')],
  });
  t.is(result.status, 'completed', result.error?.message);
  t.deepEqual(rowsOfAll(out.batches).map((r) => r.id), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  t.like(reporter.steps.get('d')!.counters, { records_in: 250, records_out: 10, records_filtered: 240 });
});

test('a stream operator error fails its step with TRANSFORM_ERROR (cause DATA_ERROR) and rolls the sink back', async (t) => {
  const out = new MemorySink();
  const { result, reporter } = await run({
    nodes: [src('a', source('a', 5), ['s']), node('s', 'sort', { by: [{ column: 'id' }], max_rows: 120 }, ['a'], ['out']), sink('out', out, 's')],
  });
  t.is(result.status, 'failed');
  t.is(result.error?.code, 'TRANSFORM_ERROR');
  t.regex(result.error!.message, /transform sort \(node s\) failed: sort holds at most 120 rows \(config max_rows\)/);
  t.is((result.error!.details as { cause_code: string }).cause_code, 'DATA_ERROR');
  t.is(out.state, 'aborted');
  t.is(reporter.steps.get('s')!.status, 'failed');
});

test('a bad stream config or a missing column fails the step before anything streams', async (t) => {
  const bad = await run({
    nodes: [src('a', source('a', 1), ['d']), node('d', 'deduplicate', { keys: [] }, ['a'], ['out']), sink('out', new MemorySink(), 'd')],
  });
  t.is(bad.result.error?.code, 'VALIDATION_FAILED');
  t.is(bad.result.steps.find((s) => s.stepId === 'd')!.status, 'failed');
  const s = source('a', 3);
  const missing = await run({
    nodes: [src('a', s, ['d']), node('d', 'deduplicate', { keys: ['nope'] }, ['a'], ['out']), sink('out', new MemorySink(), 'd')],
  });
  t.is(missing.result.error?.code, 'TRANSFORM_ERROR');
  t.regex(missing.result.error!.message, /column "nope" not found/);
  t.is(s.pulled, 0);
});

test('a sequential fan-in over a shared upstream node is refused at prepare time instead of hanging; interleaved runs', async (t) => {
  const graph = (mode: string): RuntimeGraph => ({
    nodes: [
      src('a', source('a', 20), ['x', 'y']),
      node('x', 'noop', {}, ['a'], ['u'], 1),
      node('y', 'filter', { condition: 'id > 10' }, ['a'], ['u'], 2),
      node('u', 'union', { mode }, ['x', 'y'], ['out'], 3),
      sink('out', new MemorySink(), 'u'),
    ],
  });
  const refused = await run(graph('sequential'));
  t.is(refused.result.error?.code, 'CONFIG_INVALID');
  t.regex(refused.result.error!.message, /node "u" reads its inputs one after another, but "x" and "y" both come from "a"/);
  const ok = await run(graph('interleaved'));
  t.is(ok.result.status, 'completed', ok.result.error?.message);
  t.is(ok.result.totals.total_loaded, 20 * ROWS * 2 - 11);
});

test('the runtime graph checks fan-in arity: a union with one input is a programming error', async (t) => {
  const err = await t.throwsAsync(
    runGraph({ nodes: [src('a', source('a', 1), ['u']), node('u', 'union', {}, ['a'], ['out']), sink('out', new MemorySink(), 'u')] }),
  );
  t.true(err instanceof SynqxError);
  t.regex(err!.message, /transform "u": transform union takes at least 2 inputs \(has 1\)/);
});

test('cancelling a run while a stream node holds rows stops everything', async (t) => {
  const controller = new AbortController();
  const out = new MemorySink();
  setTimeout(() => controller.abort(), 60);
  const { result } = await run(
    {
      nodes: [
        src('a', source('a', 1000, 2), ['u']),
        src('b', source('b', 1000, 2), ['u']),
        node('u', 'union', { mode: 'interleaved' }, ['a', 'b'], ['s']),
        node('s', 'sort', { by: [{ column: 'id' }] }, ['u'], ['out']),
        sink('out', out, 's'),
      ],
    },
    { signal: controller.signal },
  );
  t.is(result.status, 'cancelled');
  t.is(out.state, 'aborted');
});
