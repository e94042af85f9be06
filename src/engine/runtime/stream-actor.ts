import type { RecordBatch, Schema } from 'apache-arrow';
import { SynqxError } from '../../core/errors.js';
import { sharedUpstream } from '../plan/graph.js';
import { findStreamTransform, isStreamTransform } from '../transforms/registry.js';
import type { StreamOperator } from '../transforms/stream-operator.js';
import type { TransformContext } from '../transforms/transform.js';
import { begin, closeOutputs, deliver, type ActorContext } from './actors.js';
import { batchBytes } from './batch-bytes.js';
import type { RuntimeNode, RuntimeTransformNode } from './runtime-graph.js';
import type { PreparedTransform, TransformPool } from './transform-pool.js';

/**
 * A transform node made ready to run: batch transforms on the pool, stream ones (and batch transforms
 * whose config needs state, such as fill_nulls with a strategy) as a fresh operator.
 */
export function prepareTransform(
  pool: TransformPool,
  node: RuntimeTransformNode,
  nodes: readonly RuntimeNode[],
  now: Date,
  salt?: string,
): PreparedTransform | PreparedStream {
  const spec = { nodeId: node.id, transform: node.transform, config: node.config };
  if (!isStreamTransform(node.transform, node.config)) return pool.prepare(spec, now, salt);
  const stream = PreparedStream.create(spec, now);
  if (stream.operator.readOrder.mode === 'sequential') {
    // The planner rejects this shape with a 422; graphs built by hand get the same answer here.
    const edges = nodes.flatMap((n) => n.outputs.map((to) => ({ from: n.id, to })));
    const shared = sharedUpstream(node.inputs, edges);
    if (shared) {
      throw new SynqxError(
        'CONFIG_INVALID',
        `node "${node.id}" reads its inputs one after another, but "${shared.first}" and "${shared.second}" both come from "${shared.shared}": the run would wait forever`,
      );
    }
  }
  return stream;
}

/**
 * A stream transform's operator for one run, created once (its config is validated there) and
 * driven by `runStreamActor` on the coordinator thread. Every failure it raises becomes a
 * TRANSFORM_ERROR naming the node, with the operator's own code kept as `cause_code`, as for pool
 * transforms.
 */
export class PreparedStream {
  private constructor(
    readonly nodeId: string,
    readonly name: string,
    readonly operator: StreamOperator,
  ) {}

  static create(node: { nodeId: string; transform: string; config: unknown }, now: Date): PreparedStream {
    const ctx: TransformContext = { now, nodeId: node.nodeId };
    const operator = findStreamTransform(node.transform, node.config).create(node.config, ctx);
    return new PreparedStream(node.nodeId, node.transform, operator);
  }

  outputSchema(inputs: readonly Schema[]): Schema {
    return this.guard(() => this.operator.outputSchema(inputs));
  }

  guard<T>(call: () => T): T {
    try {
      return call();
    } catch (err) {
      const cause = err instanceof SynqxError ? err.code : 'TRANSFORM_ERROR';
      const message = err instanceof Error ? err.message : String(err);
      throw new SynqxError('TRANSFORM_ERROR', `transform ${this.name} (node ${this.nodeId}) failed: ${message}`, {
        details: { node_id: this.nodeId, transform: this.name, cause_code: cause },
        cause: err,
      });
    }
  }
}

/**
 * Feeds every input to the operator as its `readOrder` says, sends what it emits downstream (fan-out
 * like the other actors), then `finish`. records_in counts every pushed row, records_out every
 * emitted one; row-wise operators report the difference as records_filtered once they finish (until
 * then, held rows are neither out nor filtered).
 */
export async function runStreamActor(ctx: ActorContext, stream: PreparedStream): Promise<void> {
  const op = stream.operator;
  const emit = async (batches: RecordBatch[]): Promise<void> => {
    for (const b of batches) {
      if (b.numRows === 0) continue;
      ctx.meter.add({ records_out: b.numRows });
      await deliver(ctx, b);
    }
  };
  const pushed = async (input: number, batch: RecordBatch): Promise<void> => {
    ctx.meter.add({ records_in: batch.numRows, bytes_processed: batchBytes(batch) });
    await emit(stream.guard(() => op.push(input, batch)));
  };
  const ended = (input: number) => emit(stream.guard(() => op.end(input)));

  if (op.readOrder.mode === 'sequential') {
    for (const input of sequentialOrder(op.readOrder.order, ctx.inputs.length, stream)) {
      for (;;) {
        const batch = await ctx.inputs[input]!.take();
        begin(ctx);
        if (!batch) break;
        if (batch.numRows > 0) await pushed(input, batch);
      }
      await ended(input);
    }
  } else {
    await readInterleaved(ctx, pushed, ended);
  }
  begin(ctx);
  await emit(stream.guard(() => op.finish()));
  if (op.rowWise) {
    const c = ctx.meter.counters;
    ctx.meter.set({ records_filtered: c.records_in - c.records_out - c.records_error });
  }
  ctx.meter.finish();
  closeOutputs(ctx);
}

function sequentialOrder(order: readonly number[], inputs: number, stream: PreparedStream): readonly number[] {
  const sorted = [...order].sort((a, b) => a - b);
  if (sorted.length !== inputs || sorted.some((v, i) => v !== i)) {
    throw new SynqxError('INTERNAL', `transform ${stream.name} (node ${stream.nodeId}) reads inputs [${order.join(', ')}] but the node has ${inputs}`);
  }
  return order;
}

/**
 * Takes from whichever input has a batch (or its end) ready, in the order they became ready, so no
 * input starves. Each open input has exactly one readiness watch at a time (renewed after each take),
 * so a long-idle input does not collect a waiter per batch of the others.
 */
async function readInterleaved(
  ctx: ActorContext,
  pushed: (input: number, batch: RecordBatch) => Promise<void>,
  ended: (input: number) => Promise<void>,
): Promise<void> {
  const ready: number[] = [];
  let wake: (() => void) | undefined;
  const watch = (input: number) =>
    void ctx.inputs[input]!.whenReady().then(() => {
      ready.push(input);
      wake?.();
      wake = undefined;
    });
  let open = ctx.inputs.length;
  for (let i = 0; i < open; i++) watch(i);
  while (open > 0) {
    while (ready.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    const input = ready.shift()!;
    const batch = await ctx.inputs[input]!.take();
    begin(ctx);
    if (!batch) {
      open--;
      await ended(input);
      continue;
    }
    if (batch.numRows > 0) await pushed(input, batch);
    watch(input);
  }
}
