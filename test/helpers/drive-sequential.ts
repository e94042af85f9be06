import type { RecordBatch } from 'apache-arrow';
import type { StreamOperator } from '../../src/engine/transforms/stream-operator.js';

/**
 * Drives a StreamOperator the way its actor does: inputs in `readOrder` (sequential only — the
 * operators tested with this read one input to its end before the next), `push` per batch, `end` per
 * input, then `finish`. Returns every output batch, in order.
 */
export function driveSequential(op: StreamOperator, inputs: readonly (readonly RecordBatch[])[]): RecordBatch[] {
  if (op.readOrder.mode !== 'sequential') throw new Error('drive: only sequential operators');
  const out: RecordBatch[] = [];
  for (const input of op.readOrder.order) {
    for (const batch of inputs[input]!) out.push(...op.push(input, batch));
    out.push(...op.end(input));
  }
  out.push(...op.finish());
  return out;
}
