import type { RecordBatch } from 'apache-arrow';
import type { BatchSink, BatchSource } from '../../core/data-ports.js';
import { markShared } from '../../core/batch-ownership.js';
import { SynqxError } from '../../core/errors.js';
import { untilAborted } from './abort.js';
import { batchBytes } from './batch-bytes.js';
import type { Mailbox } from './mailbox.js';
import type { StepMeter } from './step-meter.js';
import type { PreparedTransform, TransformRun } from './transform-pool.js';

/**
 * The actors: one async loop per node, connected only through mailboxes. Each returns when its work is
 * done and throws on failure; stopping everything on a failure is the coordinator's job (it aborts
 * `signal` and every mailbox, which wakes each actor wherever it waits).
 */
export interface ActorContext {
  signal: AbortSignal;
  meter: StepMeter;
  inputs: Mailbox<RecordBatch>[];
  outputs: Mailbox<RecordBatch>[];
  /** A transform's error output (not among `outputs`): where the rows it rejects go. */
  errorOutput?: Mailbox<RecordBatch>;
  /** Called once, when the step first does work (reports stepStarted). */
  started(): void;
}

export function begin(ctx: ActorContext): void {
  if (ctx.meter.start()) ctx.started();
}

/** Fan-out: every child gets the batch, one after another, so the slowest child sets the pace. */
export async function deliver(ctx: ActorContext, batch: RecordBatch): Promise<void> {
  if (ctx.outputs.length > 1) markShared(batch);
  for (const out of ctx.outputs) await out.put(batch);
}

export function closeOutputs(ctx: ActorContext): void {
  for (const out of ctx.outputs) out.close();
  ctx.errorOutput?.close();
}

/** Pulls from the source only when every child mailbox took the previous batch. */
export async function runSourceActor(ctx: ActorContext, source: BatchSource): Promise<void> {
  begin(ctx);
  const it = source.batches()[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (;;) {
      const next = await untilAborted(it.next(), ctx.signal);
      if (next.done) break;
      const batch = next.value;
      const rows = batch.numRows;
      ctx.meter.set({ records_in: ctx.meter.counters.records_in + rows, records_out: ctx.meter.counters.records_out + rows, bytes_processed: source.bytesRead() });
      if (rows > 0) await deliver(ctx, batch);
    }
    finished = true;
  } finally {
    // Stopped early: let the generator clean up; `close()` follows from the coordinator regardless.
    if (!finished) it.return?.(undefined).catch(() => {});
  }
  ctx.meter.set({ bytes_processed: source.bytesRead() });
  ctx.meter.finish();
  closeOutputs(ctx);
}

interface InFlight {
  rows: number;
  bytes: number;
  result: Promise<TransformRun>;
}

/**
 * Keeps up to `maxInFlight` batches on the pool at once and emits results in input order. Counters move
 * when a result is emitted, so records_in = records_out + records_filtered + records_error holds in
 * every report. Rejected rows count as records_error and go to the error output; a transform that
 * rejects rows on a node without one is a wiring bug (TRANSFORM_ERROR), never a silent drop.
 */
export async function runTransformActor(ctx: ActorContext, transform: PreparedTransform): Promise<void> {
  const input = ctx.inputs[0]!;
  const window: InFlight[] = [];
  const emit = async (entry: InFlight): Promise<void> => {
    const { kept: out, rejected } = await untilAborted(entry.result, ctx.signal);
    const kept = out?.numRows ?? 0;
    const errors = rejected?.numRows ?? 0;
    if (errors > 0 && !ctx.errorOutput) {
      throw new SynqxError('TRANSFORM_ERROR', `transform ${transform.name} (node ${transform.nodeId}) rejected ${errors} rows but the node has no error output`);
    }
    ctx.meter.add({ records_in: entry.rows, records_out: kept, records_filtered: entry.rows - kept - errors, records_error: errors, bytes_processed: entry.bytes });
    if (out && kept > 0) await deliver(ctx, out);
    if (rejected && errors > 0) await ctx.errorOutput!.put(rejected);
  };
  for (;;) {
    const batch = await input.take();
    begin(ctx);
    if (!batch) break;
    if (batch.numRows === 0) continue;
    // Measured before run(): a batch moved to a worker thread has no buffers left here.
    const rows = batch.numRows;
    const bytes = batchBytes(batch);
    const result = transform.run(batch);
    // A rejected result may never be awaited if the run stops first; it must not become unhandled.
    result.catch(() => {});
    window.push({ rows, bytes, result });
    if (window.length >= transform.maxInFlight) await emit(window.shift()!);
  }
  while (window.length > 0) await emit(window.shift()!);
  ctx.meter.finish();
  closeOutputs(ctx);
}

/** Writes every batch; `write` resolving is the sink's backpressure. Commit is the coordinator's. */
export async function runSinkActor(ctx: ActorContext, sink: BatchSink): Promise<void> {
  const input = ctx.inputs[0]!;
  for (;;) {
    const batch = await input.take();
    begin(ctx);
    if (!batch) break;
    if (batch.numRows === 0) continue;
    await untilAborted(sink.write(batch), ctx.signal);
    ctx.meter.add({ records_in: batch.numRows, records_out: batch.numRows, bytes_processed: batchBytes(batch) });
    // The sink may still hold what it wrote.
    markShared(batch);
    await deliver(ctx, batch);
  }
  ctx.meter.finish();
  closeOutputs(ctx);
}
