import test from 'ava';
import { Float64, Int32, Utf8, type RecordBatch } from 'apache-arrow';
import { runGraph } from '../../../src/engine/runtime/coordinator.js';
import { MemoryRunReporter } from '../../../src/engine/runtime/memory-run-reporter.js';
import { TransformPool } from '../../../src/engine/runtime/transform-pool.js';
import { col, makeBatch } from '../../helpers/arrow-batches.js';
import { MemorySink, MemorySource } from '../../helpers/memory-ports.js';

// Pipelines on real worker threads: transforms on the Piscina pool, batches handed over as IPC bytes.

const pool = new TransformPool({ mode: 'threads', threads: 2, inlineMaxRows: 0, maxInFlightPerNode: 3 });
test.after.always(() => pool.close());

const ROWS = 2000;

function batch(i: number): RecordBatch {
  return makeBatch({
    id: col(new Int32(), Array.from({ length: ROWS }, (_, k) => i * ROWS + k)),
    country: col(new Utf8(), Array.from({ length: ROWS }, (_, k) => (k % 4 === 0 ? 'FR' : k % 7 === 0 ? null : 'DE'))),
    score: col(new Float64(), Array.from({ length: ROWS }, (_, k) => k / 10)),
  });
}

test('filter → map on the pool, fanned out to two sinks: order kept, counters add up', async (t) => {
  const count = 60;
  const source = new MemorySource({ schema: batch(0).schema, batch, count, estimatedRows: count * ROWS });
  const a = new MemorySink();
  const b = new MemorySink({ writeDelayMs: 1 });
  const reporter = new MemoryRunReporter();
  const result = await runGraph(
    {
      nodes: [
        { id: 'users', kind: 'source', source, inputs: [], outputs: ['de_only'], order: 0, label: 'public.users' },
        { id: 'de_only', kind: 'transform', transform: 'filter', config: { condition: "country == 'DE'" }, inputs: ['users'], outputs: ['reshape'], order: 1 },
        {
          id: 'reshape',
          kind: 'transform',
          transform: 'pandas_transform',
          config: { drop_columns: ['score'], rename_columns: { id: 'user_id' } },
          inputs: ['de_only'],
          outputs: ['copy_a', 'copy_b'],
          order: 2,
        },
        { id: 'copy_a', kind: 'sink', sink: a, inputs: ['reshape'], outputs: [], order: 3, label: 'public.users_a' },
        { id: 'copy_b', kind: 'sink', sink: b, inputs: ['reshape'], outputs: [], order: 4, label: 'public.users_b' },
      ],
    },
    { pool, reporter, mailboxDepth: 2, progressIntervalMs: 20 },
  );
  t.is(result.status, 'completed', result.error?.message);
  const expected: number[] = [];
  for (let i = 0; i < count * ROWS; i++) {
    const k = i % ROWS;
    if (k % 4 !== 0 && k % 7 !== 0) expected.push(i);
  }
  for (const sink of [a, b]) {
    t.deepEqual(sink.schema!.fields.map((f) => f.name), ['user_id', 'country']);
    const ids = sink.batches.flatMap((x) => Array.from(x.getChild('user_id')!.toArray() as Int32Array));
    t.deepEqual(ids, expected);
    t.is(sink.state, 'committed');
  }
  const filter = reporter.steps.get('de_only')!.counters;
  t.is(filter.records_in, count * ROWS);
  t.is(filter.records_out, expected.length);
  t.is(filter.records_in, filter.records_out + filter.records_filtered);
  const reshape = reporter.steps.get('reshape')!.counters;
  t.is(reshape.records_in, expected.length);
  t.is(reshape.records_filtered, 0);
  t.is(result.totals.total_extracted, count * ROWS);
  t.is(result.totals.total_loaded, 2 * expected.length);
  t.true(reporter.logs('users').includes('reading public.users (about 120,000 rows)'));
});

test('abort-mid-run with tasks on the pool: cancelled promptly, sinks rolled back, pool still usable', async (t) => {
  const source = new MemorySource({ schema: batch(0).schema, batch, count: 100_000, delayMs: 1 });
  const sink = new MemorySink({ keep: false });
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 150);
  const result = await runGraph(
    {
      nodes: [
        { id: 's', kind: 'source', source, inputs: [], outputs: ['f'], order: 0 },
        { id: 'f', kind: 'transform', transform: 'filter', config: { condition: 'score > 10' }, inputs: ['s'], outputs: ['k'], order: 1 },
        { id: 'k', kind: 'sink', sink, inputs: ['f'], outputs: [], order: 2 },
      ],
    },
    { pool, signal: controller.signal },
  );
  t.is(result.status, 'cancelled');
  t.is(sink.state, 'aborted');
  t.true(source.closed);
  t.true(source.pulled > 0 && source.pulled < 100_000);
  const again = pool.prepare({ nodeId: 'n', transform: 'noop', config: {} }, new Date());
  t.is((await again.run(batch(1))).kept!.numRows, ROWS);
});
