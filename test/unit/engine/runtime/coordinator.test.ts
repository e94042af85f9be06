import test from 'ava';
import { Int32, Utf8, type RecordBatch } from 'apache-arrow';
import { SynqxError } from '../../../../src/core/errors.js';
import { batchBytes } from '../../../../src/engine/runtime/batch-bytes.js';
import { runGraph, type RunOptions } from '../../../../src/engine/runtime/coordinator.js';
import { MemoryRunReporter } from '../../../../src/engine/runtime/memory-run-reporter.js';
import type { RuntimeGraph, RuntimeNode } from '../../../../src/engine/runtime/runtime-graph.js';
import { takeRows } from '../../../../src/engine/transforms/take.js';
import { col, makeBatch } from '../../../helpers/arrow-batches.js';
import { MemorySink, MemorySource, type MemorySourceOptions } from '../../../helpers/memory-ports.js';

const ROWS = 100;

/** Batch i holds ids i*ROWS … i*ROWS+ROWS-1, so order and completeness are checkable. */
function idBatch(i: number, rows = ROWS): RecordBatch {
  return makeBatch({
    id: col(new Int32(), Array.from({ length: rows }, (_, k) => i * rows + k)),
    name: col(new Utf8(), Array.from({ length: rows }, (_, k) => `n${i * rows + k}`)),
  });
}

const schema = idBatch(0, 1).schema;

function source(count: number, extra: Partial<MemorySourceOptions> = {}): MemorySource {
  return new MemorySource({ schema, batch: (i) => idBatch(i), count, ...extra });
}

function ids(sink: MemorySink): number[] {
  return sink.batches.flatMap((b) => Array.from(b.getChild('id')!.toArray() as Int32Array));
}

const src = (id: string, s: MemorySource, outputs: string[], order = 0): RuntimeNode => ({ id, kind: 'source', source: s, inputs: [], outputs, order, label: `public.${id}` });
const sink = (id: string, s: MemorySink, input: string, order = 9, outputs: string[] = []): RuntimeNode => ({
  id,
  kind: 'sink',
  sink: s,
  inputs: [input],
  outputs,
  order,
  label: `public.${id}`,
});
const transform = (id: string, name: string, config: unknown, input: string, outputs: string[], order = 5): RuntimeNode => ({
  id,
  kind: 'transform',
  transform: name,
  config,
  inputs: [input],
  outputs,
  order,
});

async function run(graph: RuntimeGraph, options: RunOptions = {}) {
  const reporter = new MemoryRunReporter();
  const result = await runGraph(graph, { reporter, ...options });
  return { result, reporter };
}

test('extract → load copies every batch in order and commits', async (t) => {
  const s = source(10);
  const out = new MemorySink();
  const { result, reporter } = await run({ nodes: [src('users', s, ['copy']), sink('copy', out, 'users')] });
  t.is(result.status, 'completed');
  t.is(out.state, 'committed');
  t.deepEqual(ids(out), Array.from({ length: 1000 }, (_, i) => i));
  t.true(s.closed);
  t.deepEqual(result.totals, { total_extracted: 1000, total_loaded: 1000, total_failed: 0, bytes_processed: 8000 });
  const steps = reporter.steps;
  t.is(steps.get('users')!.status, 'success');
  t.deepEqual(steps.get('users')!.counters, { records_in: 1000, records_out: 1000, records_filtered: 0, records_error: 0, bytes_processed: 8000 });
  t.is(steps.get('copy')!.status, 'success');
  t.is(steps.get('copy')!.counters.records_out, 1000);
  t.is(steps.get('copy')!.counters.bytes_processed, 10_000);
  t.true(reporter.logs('users').includes('reading public.users'));
  t.true(reporter.logs('copy').some((l) => /^wrote 1,000 rows to public\.copy in \d+\.\d s$/.test(l)));
  t.true(reporter.logs(null).some((l) => /^run completed in .*: 1,000 rows extracted, 1,000 loaded$/.test(l)));
});

test('slow-sink: the source is never read ahead by more than the mailbox depth', async (t) => {
  const depth = 3;
  const s = source(40);
  let maxAhead = 0;
  const out = new MemorySink({
    writeDelayMs: 3,
    keep: false,
    // Before write i, batches 0…i-1 are written; everything else the source pulled is held in flight.
    onWrite: (i) => (maxAhead = Math.max(maxAhead, s.pulled - i)),
  });
  const { result } = await run({ nodes: [src('s', s, ['k']), sink('k', out, 's')] }, { mailboxDepth: depth });
  t.is(result.status, 'completed');
  t.is(out.rows, 40 * ROWS);
  // In flight: the batch being written, `depth` in the mailbox, one held by the source waiting to put.
  t.log(`max read-ahead ${maxAhead} batches with depth ${depth}`);
  t.true(maxAhead <= depth + 2, `read ahead ${maxAhead}`);
  // …and the buffer was really used, so the bound above is not vacuous.
  t.true(maxAhead >= depth, `read ahead only ${maxAhead}`);
});

test('slow-sink behind a transform: memory stays bounded by depth × edges plus in-flight', async (t) => {
  const depth = 2;
  const s = source(40);
  let maxAhead = 0;
  const out = new MemorySink({ writeDelayMs: 2, keep: false, onWrite: (i) => (maxAhead = Math.max(maxAhead, s.pulled - i)) });
  const { result } = await run(
    { nodes: [src('s', s, ['t']), transform('t', 'noop', {}, 's', ['k']), sink('k', out, 't')] },
    { mailboxDepth: depth },
  );
  t.is(result.status, 'completed');
  // Two edges of `depth`, one batch in the transform, one in the sink, one held by the source.
  t.true(maxAhead <= 2 * depth + 3, `read ahead ${maxAhead}`);
});

test('slow-sink: memory stays flat while far more than it streams through (bounded by config, not table size)', async (t) => {
  const rows = 10_000;
  const template = makeBatch({
    id: col(new Int32(), Array.from({ length: rows }, (_, k) => k)),
    note: col(new Utf8(), Array.from({ length: rows }, () => 'x'.repeat(200))),
  });
  const all = Int32Array.from({ length: rows }, (_, i) => i);
  const count = 600;
  // Fresh buffers for every batch, as a real decoder produces them (~2 MB each, ~1.2 GB in total).
  const s = new MemorySource({ schema: template.schema, count, batch: () => takeRows(template, all) });
  const base = process.memoryUsage().arrayBuffers;
  let peak = 0;
  const out = new MemorySink({ keep: false, writeDelayMs: 1, onWrite: () => (peak = Math.max(peak, process.memoryUsage().arrayBuffers - base)) });
  const { result } = await run({ nodes: [src('s', s, ['f']), transform('f', 'filter', { condition: 'id % 2 = 0' }, 's', ['k']), sink('k', out, 'f')] });
  t.is(result.status, 'completed');
  t.is(out.rows, (count * rows) / 2);
  const streamedMb = (count * batchBytes(template)) / 1e6;
  t.log(`peak ArrayBuffer growth ${(peak / 1e6).toFixed(0)} MB while ${streamedMb.toFixed(0)} MB streamed`);
  t.true(streamedMb > 1000);
  t.true(peak < 200e6, `ArrayBuffers grew by ${(peak / 1e6).toFixed(0)} MB`);
});

test('fan-out delivers every batch to both sinks, at the pace of the slower one', async (t) => {
  const s = source(20);
  const fast = new MemorySink();
  let maxLead = 0;
  const slow = new MemorySink({ writeDelayMs: 2, onWrite: (i) => (maxLead = Math.max(maxLead, fast.writes - i)) });
  const { result, reporter } = await run({ nodes: [src('s', s, ['fast', 'slow']), sink('fast', fast, 's'), sink('slow', slow, 's')] }, { mailboxDepth: 2 });
  t.is(result.status, 'completed');
  const expected = Array.from({ length: 2000 }, (_, i) => i);
  t.deepEqual(ids(fast), expected);
  t.deepEqual(ids(slow), expected);
  t.is(fast.state, 'committed');
  t.is(slow.state, 'committed');
  // The fast sink cannot run away from the slow one by more than what the edges hold.
  t.true(maxLead <= 2 + 2 + 2, `fast sink led by ${maxLead}`);
  t.is(result.totals.total_loaded, 4000);
  t.is(reporter.steps.get('slow')!.counters.records_in, 2000);
});

test('a transform dropping rows: records_in = records_out + records_filtered', async (t) => {
  const s = source(10);
  const out = new MemorySink();
  const { result, reporter } = await run({
    nodes: [src('s', s, ['f']), transform('f', 'filter', { condition: 'id % 10 != 0' }, 's', ['k']), sink('k', out, 'f')],
  });
  t.is(result.status, 'completed');
  const f = reporter.steps.get('f')!;
  t.deepEqual(f.counters.records_in, 1000);
  t.deepEqual(f.counters.records_out, 900);
  t.deepEqual(f.counters.records_filtered, 100);
  t.is(f.counters.records_in, f.counters.records_out + f.counters.records_filtered);
  t.true(f.counters.bytes_processed > 0);
  t.is(reporter.steps.get('k')!.counters.records_in, 900);
  t.is(out.rows, 900);
  t.true(ids(out).every((id) => id % 10 !== 0));
  t.deepEqual(result.totals, { total_extracted: 1000, total_loaded: 900, total_failed: 0, bytes_processed: 8000 });
  t.true(reporter.logs('f').some((l) => /^filter: 1,000 rows in, 900 out, 100 filtered in /.test(l)));
});

test('a batch filtered to nothing is not passed on', async (t) => {
  const out = new MemorySink();
  const { result } = await run({
    nodes: [src('s', source(5), ['f']), transform('f', 'filter', { condition: 'id >= 300' }, 's', ['k']), sink('k', out, 'f')],
  });
  t.is(result.status, 'completed');
  t.is(out.writes, 2);
});

test('sinks receive the transform output schema before the first batch', async (t) => {
  const out = new MemorySink();
  await run({ nodes: [src('s', source(1), ['m']), transform('m', 'map', { rename: { name: 'full_name' } }, 's', ['k']), sink('k', out, 'm')] });
  t.deepEqual(out.schema!.fields.map((f) => f.name), ['id', 'full_name']);
});

test('error-mid-run in one sink aborts every sink, stops the source and marks unreached steps skipped', async (t) => {
  const s = source(200, { delayMs: 1 });
  const broken = new MemorySink({ failAtWrite: 3 });
  const healthy = new MemorySink();
  const unreached = new MemorySink();
  const { result, reporter } = await run({
    nodes: [
      src('s', s, ['broken', 'healthy', 'none']),
      sink('broken', broken, 's', 1),
      sink('healthy', healthy, 's', 2),
      // Drops every row, so the sink behind it has not received anything when the run stops.
      transform('none', 'filter', { condition: 'id < 0' }, 's', ['unreached'], 3),
      sink('unreached', unreached, 'none', 4),
    ],
  });
  t.is(result.status, 'failed');
  t.is(result.error!.code, 'DESTINATION_ERROR');
  t.regex(result.error!.message, /destination rejected write 3/);
  for (const k of [broken, healthy, unreached]) t.is(k.state, 'aborted');
  t.true(s.closed);
  t.true(s.pulled < 200);
  const steps = reporter.steps;
  t.is(steps.get('broken')!.status, 'failed');
  t.deepEqual(steps.get('broken')!.error, { code: 'DESTINATION_ERROR', message: 'destination rejected write 3' });
  t.is(steps.get('healthy')!.status, 'failed');
  t.is(steps.get('healthy')!.error!.code, 'CANCELLED');
  t.regex(steps.get('healthy')!.error!.message, /rolled back: stopped because step broken failed/);
  t.is(steps.get('healthy')!.counters.records_out, 0, 'a rolled-back sink loaded nothing');
  t.is(steps.get('s')!.status, 'failed');
  t.is(steps.get('unreached')!.status, 'skipped');
  t.is(steps.get('unreached')!.startedAt, undefined);
  t.is(result.totals.total_loaded, 0);
  t.is(reporter.run!.status, 'failed');
  t.deepEqual(reporter.run!.error, { code: 'DESTINATION_ERROR', message: 'destination rejected write 3', stepId: 'broken' });
  t.true(reporter.logs('broken').includes('failed: DESTINATION_ERROR: destination rejected write 3'));
  t.true(reporter.logs('healthy').includes('rolled back public.healthy'));
});

test('a source error mid-run fails the run with SOURCE_ERROR and rolls back the sink', async (t) => {
  const s = source(20, { failAt: 5 });
  const out = new MemorySink();
  const { result, reporter } = await run({ nodes: [src('s', s, ['k']), sink('k', out, 's')] });
  t.is(result.status, 'failed');
  t.is(result.error!.code, 'SOURCE_ERROR');
  t.is(result.error && reporter.run!.error!.stepId, 's');
  t.is(out.state, 'aborted');
  t.true(s.closed);
  t.is(reporter.steps.get('s')!.counters.records_out, 500);
});

test('a failing transform fails its step with TRANSFORM_ERROR', async (t) => {
  const out = new MemorySink();
  const { result, reporter } = await run({
    nodes: [src('s', source(5), ['f']), transform('f', 'filter', { condition: '1000 / (id - 250) > 0' }, 's', ['k']), sink('k', out, 'f')],
  });
  t.is(result.status, 'failed');
  t.is(result.error!.code, 'TRANSFORM_ERROR');
  t.regex(result.error!.message, /division by zero/);
  t.is(reporter.steps.get('f')!.status, 'failed');
  t.is(out.state, 'aborted');
});

test('a sink that cannot open: nothing streams, downstream steps are skipped', async (t) => {
  const s = source(5);
  const bad = new MemorySink({ failOnOpen: true });
  const good = new MemorySink();
  const { result, reporter } = await run({
    nodes: [src('s', s, ['t']), transform('t', 'noop', {}, 's', ['bad', 'good']), sink('bad', bad, 't', 1), sink('good', good, 't', 2)],
  });
  t.is(result.status, 'failed');
  t.is(reporter.steps.get('bad')!.status, 'failed');
  t.is(reporter.steps.get('t')!.status, 'skipped');
  t.is(reporter.steps.get('good')!.status, 'skipped');
  t.is(good.state, 'aborted');
  t.is(s.pulled, 0);
  t.true(s.closed);
});

test('an invalid transform config fails that step before anything opens', async (t) => {
  const s = source(5);
  const { result, reporter } = await run({ nodes: [src('s', s, ['f']), transform('f', 'filter', { condition: 'id >' }, 's', ['k']), sink('k', new MemorySink(), 'f')] });
  t.is(result.status, 'failed');
  t.is(result.error!.code, 'VALIDATION_FAILED');
  t.is(reporter.steps.get('f')!.status, 'failed');
  t.is(reporter.steps.get('s')!.status, 'skipped');
  t.false(s.opened);
});

test('abort-mid-run: the AbortSignal cancels everything, even a sink that ignores it', async (t) => {
  const s = source(10_000, { delayMs: 1 });
  const stuck = new MemorySink({ hangAtWrite: 5 });
  const controller = new AbortController();
  // Mid-run for certain, whatever the machine's load: once data flows and one sink is stuck.
  const other = new MemorySink({ onWrite: (i) => i === 2 && setTimeout(() => controller.abort(new Error('user pressed stop')), 20) });
  const started = Date.now();
  const { result, reporter } = await run({ nodes: [src('s', s, ['stuck', 'other']), sink('stuck', stuck, 's'), sink('other', other, 's')] }, { signal: controller.signal });
  t.true(Date.now() - started < 2000);
  t.is(result.status, 'cancelled');
  t.is(result.error!.code, 'CANCELLED');
  t.regex(result.error!.message, /run cancelled: user pressed stop/);
  t.is(stuck.state, 'aborted');
  t.is(other.state, 'aborted');
  t.true(s.closed);
  t.is(reporter.run!.status, 'cancelled');
  for (const id of ['s', 'stuck', 'other']) {
    t.is(reporter.steps.get(id)!.status, 'failed');
    t.is(reporter.steps.get(id)!.error!.code, 'CANCELLED');
  }
});

test('a signal aborted before the start cancels without opening anything', async (t) => {
  const s = source(5);
  const out = new MemorySink();
  const { result, reporter } = await run({ nodes: [src('s', s, ['k']), sink('k', out, 's')] }, { signal: AbortSignal.abort('shutdown') });
  t.is(result.status, 'cancelled');
  t.false(s.opened);
  t.is(out.state, 'new');
  t.is(reporter.steps.get('s')!.status, 'skipped');
  t.is(reporter.steps.get('k')!.status, 'skipped');
});

test('sinks commit only after every source finished', async (t) => {
  const fastSource = source(2);
  const slowSource = source(10, { delayMs: 3 });
  let slowDoneAtFirstCommit: boolean | undefined;
  const a = new MemorySink({ onCommit: () => (slowDoneAtFirstCommit ??= slowSource.finished) });
  const b = new MemorySink();
  const { result } = await run({ nodes: [src('fast', fastSource, ['a']), src('slow', slowSource, ['b']), sink('a', a, 'fast'), sink('b', b, 'slow')] });
  t.is(result.status, 'completed');
  t.true(slowDoneAtFirstCommit);
});

test('a failed commit aborts the sinks not yet committed', async (t) => {
  const first = new MemorySink({ failOnCommit: true });
  const second = new MemorySink();
  const { result, reporter } = await run({ nodes: [src('s', source(3), ['first', 'second']), sink('first', first, 's', 1), sink('second', second, 's', 2)] });
  t.is(result.status, 'failed');
  t.is(reporter.steps.get('first')!.status, 'failed');
  t.is(second.state, 'aborted');
  t.is(reporter.steps.get('second')!.status, 'failed');
});

test('progress is reported while running, then the final counters', async (t) => {
  const out = new MemorySink({ writeDelayMs: 2 });
  const { reporter } = await run({ nodes: [src('s', source(30), ['k']), sink('k', out, 's')] }, { progressIntervalMs: 10 });
  const progress = reporter.progress('k');
  t.true(progress.length >= 2, `${progress.length} progress reports`);
  const rows = progress.map((p) => p.counters.records_in);
  t.deepEqual(rows, [...rows].sort((x, y) => x - y));
  t.true(rows[rows.length - 1]! <= 3000);
  t.is(reporter.steps.get('k')!.counters.records_in, 3000);
  // Every progress event precedes the step's final report.
  const finishedAt = reporter.events.findIndex((e) => e.type === 'stepFinished' && e.event.stepId === 'k');
  const lastProgress = reporter.events.map((e) => e.type === 'stepProgress' && e.event.stepId === 'k').lastIndexOf(true);
  t.true(lastProgress < finishedAt);
});

test('events arrive in order: run started, steps, run finished', async (t) => {
  const { reporter } = await run({ nodes: [src('s', source(2), ['f']), transform('f', 'noop', {}, 's', ['k']), sink('k', new MemorySink(), 'f')] });
  const types = reporter.events.map((e) => e.type);
  t.is(types[0], 'runStarted');
  t.is(types[types.length - 1], 'runFinished');
  const started = reporter.events[0]!;
  t.deepEqual(
    started.type === 'runStarted' ? started.event.steps.map((s) => [s.stepId, s.kind, s.label]) : [],
    [
      ['s', 'source', 'public.s'],
      ['f', 'transform', 'noop'],
      ['k', 'sink', 'public.k'],
    ],
  );
  for (const id of ['s', 'f', 'k']) {
    const startIdx = reporter.events.findIndex((e) => e.type === 'stepStarted' && e.event.stepId === id);
    const endIdx = reporter.events.findIndex((e) => e.type === 'stepFinished' && e.event.stepId === id);
    t.true(startIdx > 0 && startIdx < endIdx);
    t.is(reporter.events.filter((e) => e.type === 'stepFinished' && e.event.stepId === id).length, 1);
  }
});

test('a reporter that throws does not fail the run', async (t) => {
  const reporter = new MemoryRunReporter();
  reporter.log = () => {
    throw new Error('log store down');
  };
  const out = new MemorySink();
  const result = await runGraph({ nodes: [src('s', source(2), ['k']), sink('k', out, 's')] }, { reporter });
  t.is(result.status, 'completed');
  t.is(out.state, 'committed');
  t.true(result.reporterErrors.length > 0);
  t.is(reporter.run!.status, 'completed');
});

test('an empty source still commits its sinks, with zero rows', async (t) => {
  const out = new MemorySink();
  const { result, reporter } = await run({ nodes: [src('s', source(0), ['f']), transform('f', 'noop', {}, 's', ['k']), sink('k', out, 'f')] });
  t.is(result.status, 'completed');
  t.is(out.state, 'committed');
  t.is(reporter.steps.get('f')!.status, 'success');
  t.is(reporter.steps.get('k')!.counters.records_out, 0);
});

test('a sink with outputs passes on what it wrote', async (t) => {
  const first = new MemorySink();
  const second = new MemorySink();
  const { result } = await run({ nodes: [src('s', source(3), ['a']), sink('a', first, 's', 1, ['b']), sink('b', second, 'a', 2)] });
  t.is(result.status, 'completed');
  t.deepEqual(ids(second), ids(first));
  t.is(second.rows, 300);
});

test('an invalid graph is rejected before anything runs', async (t) => {
  const err = (await t.throwsAsync(runGraph({ nodes: [src('s', source(1), ['missing'])] }))) as SynqxError;
  t.is(err.code, 'INTERNAL');
  t.regex(err.message, /unknown output "missing"/);
  const cyc = (await t.throwsAsync(
    runGraph({
      nodes: [
        { id: 'a', kind: 'transform', transform: 'noop', config: {}, inputs: ['b'], outputs: ['b'], order: 1 },
        { id: 'b', kind: 'transform', transform: 'noop', config: {}, inputs: ['a'], outputs: ['a'], order: 2 },
      ],
    }),
  )) as SynqxError;
  t.regex(cyc.message, /cycle through a, b/);
});
