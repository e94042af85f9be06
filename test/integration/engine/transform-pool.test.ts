import test from 'ava';
import { fileURLToPath } from 'node:url';
import { Int32, Utf8, type RecordBatch } from 'apache-arrow';
import { SynqxError } from '../../../src/core/errors.js';
import { isExclusive, markExclusive } from '../../../src/core/batch-ownership.js';
import { TransformPool, defaultWorkerFilename } from '../../../src/engine/runtime/transform-pool.js';
import { col, makeBatch, rowsOf } from '../../helpers/arrow-batches.js';

const pool = new TransformPool({ mode: 'threads', threads: 2, inlineMaxRows: 0, maxInFlightPerNode: 4 });
test.after.always(() => pool.close());

const now = new Date('2024-01-01T00:00:00Z');

function numbered(start: number, rows: number): RecordBatch {
  return makeBatch({
    id: col(new Int32(), Array.from({ length: rows }, (_, i) => start + i)),
    label: col(new Utf8(), Array.from({ length: rows }, (_, i) => ((start + i) % 3 === 0 ? null : `L${start + i}`))),
  });
}

test('the worker entry under tsx is the ESM bootstrap of the TypeScript source', (t) => {
  t.regex(defaultWorkerFilename(), /workers\/transform-worker\.dev\.mjs$/);
});

test('batches round-trip through real worker threads and come back in input order', async (t) => {
  const prepared = pool.prepare({ nodeId: 'f', transform: 'filter', config: { condition: 'id % 2 = 0' } }, now);
  const batches = Array.from({ length: 60 }, (_, k) => numbered(k * 500, 500));
  // Everything in flight at once: completion order is up to the threads; results must map to inputs.
  const results = await Promise.all(batches.map(async (b) => (await prepared.run(b)).kept));
  results.forEach((out, k) => {
    t.is(out!.numRows, 250);
    t.is(out!.getChild('id')!.get(0), k * 500);
    t.is(out!.getChild('id')!.get(249), k * 500 + 498);
  });
});

test('results from the pool equal the inline results, nulls and strings included', async (t) => {
  const config = { drop_columns: [], rename_columns: { label: 'name' }, filter_query: "id < 40 and name like 'L1%'" };
  const threaded = pool.prepare({ nodeId: 'p', transform: 'pandas_transform', config }, now);
  const inline = new TransformPool({ mode: 'inline' }).prepare({ nodeId: 'p', transform: 'pandas_transform', config }, now);
  const b = numbered(0, 100);
  t.deepEqual(rowsOf((await threaded.run(b)).kept), rowsOf((await inline.run(b)).kept));
  t.deepEqual(
    rowsOf((await threaded.run(b)).kept).map((r) => r.id),
    [1, 10, 11, 13, 14, 16, 17, 19],
  );
});

test('a transform that drops every row comes back as null', async (t) => {
  const prepared = pool.prepare({ nodeId: 'f', transform: 'filter', config: { condition: 'id < 0' } }, now);
  t.deepEqual(await prepared.run(numbered(0, 1000)), { kept: null, rejected: null });
});

test('a batch others may hold is copied to the worker: still usable afterwards', async (t) => {
  const prepared = pool.prepare({ nodeId: 'n', transform: 'filter', config: { condition: 'id >= 0' } }, now);
  const b = numbered(0, 2000);
  const out = (await prepared.run(b)).kept;
  t.is(out!.numRows, 2000);
  t.is(b.getChild('id')!.get(1999), 1999);
  t.not(out, b);
  t.deepEqual(rowsOf(out!), rowsOf(b));
});

test('a batch marked exclusive moves to the worker without a copy; the reply is exclusive in turn', async (t) => {
  const prepared = pool.prepare({ nodeId: 'n', transform: 'filter', config: { condition: 'id % 2 = 0' } }, now);
  const b = numbered(0, 2000);
  const expected = rowsOf(b).filter((r) => (r.id as number) % 2 === 0);
  markExclusive(b);
  const idBuffer = b.getChild('id')!.data[0]!.values.buffer as ArrayBuffer;
  const out = (await prepared.run(b)).kept;
  t.is(idBuffer.byteLength, 0, 'the input buffer was transferred (detached here)');
  t.deepEqual(rowsOf(out!), expected);
  t.true(isExclusive(out!));
  t.false(isExclusive(b));
});

test('metadata-only transforms run on the calling thread even in threads mode', async (t) => {
  const prepared = pool.prepare({ nodeId: 'n', transform: 'rename_columns', config: { mapping: { label: 'name' } } }, now);
  const b = numbered(0, 5000);
  markExclusive(b);
  const out = (await prepared.run(b)).kept;
  t.is(prepared.maxInFlight, 1);
  t.is(out!.getChild('id')!.data[0]!.values, b.getChild('id')!.data[0]!.values, 'same buffers: no copy, no thread hop');
  t.true(isExclusive(out!), 'the renamed batch owns what its input owned');
});

test('a throwing transform surfaces as TRANSFORM_ERROR naming the node, with the cause', async (t) => {
  const prepared = pool.prepare({ nodeId: 'ratio', transform: 'filter', config: { condition: '100 / (id - 5) > 1' } }, now);
  const err = (await t.throwsAsync(prepared.run(numbered(0, 10)))) as SynqxError;
  t.true(err instanceof SynqxError);
  t.is(err.code, 'TRANSFORM_ERROR');
  t.regex(err.message, /transform filter \(node ratio\) failed: division by zero \(at position 5\)/);
  t.deepEqual(err.details, { node_id: 'ratio', transform: 'filter', cause_code: 'DATA_ERROR' });
  // The pool survives a failed task.
  const ok = pool.prepare({ nodeId: 'ok', transform: 'noop', config: {} }, now);
  t.is((await ok.run(numbered(0, 10))).kept!.numRows, 10);
});

test('a type error found in the worker is a TRANSFORM_ERROR too', async (t) => {
  const prepared = pool.prepare({ nodeId: 'f', transform: 'filter', config: { condition: "id = 'x'" } }, now);
  const err = (await t.throwsAsync(prepared.run(numbered(0, 10)))) as SynqxError;
  t.is(err.code, 'TRANSFORM_ERROR');
  t.regex(err.message, /cannot compare number with text/);
});

test('bad config is rejected when preparing, before any batch', (t) => {
  const err = t.throws(() => pool.prepare({ nodeId: 'f', transform: 'filter', config: { condition: 'id >' } }, now)) as SynqxError;
  t.is(err.code, 'VALIDATION_FAILED');
});

test('small batches run inline; in-flight limit is the configured one', async (t) => {
  const mixed = new TransformPool({ mode: 'threads', threads: 1, inlineMaxRows: 100, maxInFlightPerNode: 2 });
  t.teardown(() => mixed.close());
  const prepared = mixed.prepare({ nodeId: 'n', transform: 'filter', config: { condition: 'id >= 0' } }, now);
  const small = numbered(0, 10);
  // Inline, a filter keeping every row returns the very batch; a worker round trip returns a decoded copy.
  t.is((await prepared.run(small)).kept, small);
  const big = numbered(0, 500);
  const fromWorker = (await prepared.run(big)).kept;
  t.not(fromWorker, null);
  t.not(fromWorker, big);
  t.is(prepared.maxInFlight, 2);
  t.is(new TransformPool({ mode: 'inline' }).prepare({ nodeId: 'n', transform: 'noop', config: {} }, now).maxInFlight, 1);
});

test('outputSchema is derived from an empty batch without a worker', (t) => {
  const prepared = pool.prepare({ nodeId: 'm', transform: 'map', config: { rename: { label: 'name' } } }, now);
  t.deepEqual(prepared.outputSchema(numbered(0, 1).schema).fields.map((f) => f.name), ['id', 'name']);
});

test('a worker past its heap limit fails the batch with a clear error; the pool goes on with a new worker', async (t) => {
  const hog = new TransformPool({
    mode: 'threads',
    threads: 1,
    inlineMaxRows: 0,
    workerHeapMb: 16,
    workerFilename: fileURLToPath(new URL('../../fixtures/workers/heap-hog.mjs', import.meta.url)),
  });
  t.teardown(() => hog.close());
  const prepared = hog.prepare({ nodeId: 'h', transform: 'filter', config: { condition: 'id > 0' } }, now);
  const err = (await t.throwsAsync(prepared.run(numbered(0, 2000)))) as SynqxError;
  t.is(err.code, 'TRANSFORM_ERROR');
  t.like(err.details, { node_id: 'h', cause_code: 'DATA_ERROR' });
  t.regex(err.message, /transform filter \(node h\) failed: a transform worker ran out of memory: its heap is limited to 16 MB \(TRANSFORM_WORKER_HEAP_MB\)/);
  // The replacement worker answers (the fixture refuses small batches by name, so the reply is its own).
  const next = (await t.throwsAsync(prepared.run(numbered(0, 500)))) as SynqxError;
  t.regex(next.message, /still here/);
});
