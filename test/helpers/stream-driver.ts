import type { RecordBatch, Schema } from 'apache-arrow';
import { findStreamTransform } from '../../src/engine/transforms/registry.js';
import type { StreamOperator } from '../../src/engine/transforms/stream-operator.js';

/**
 * Drives a stream operator the way its actor does, without the runtime: output schema from the input
 * schemas, then push/end per input in `readOrder` (interleaved = round robin), then finish. Checks on
 * the way that every emitted batch carries the declared output schema.
 */
export interface Driven {
  schema: Schema;
  batches: RecordBatch[];
  rowsIn: number;
  rowsOut: number;
}

export function createOperator(name: string, config: unknown): StreamOperator {
  return findStreamTransform(name, config).create(config, { now: new Date('2024-01-01T00:00:00Z'), nodeId: 'n1' });
}

export function drive(op: StreamOperator, schemas: readonly Schema[], inputs: readonly (readonly RecordBatch[])[]): Driven {
  const schema = op.outputSchema(schemas);
  const batches: RecordBatch[] = [];
  let rowsIn = 0;
  const take = (out: RecordBatch[]) => {
    for (const b of out) {
      if (b.schema.fields.map((f) => `${f.name}:${String(f.type)}`).join() !== schema.fields.map((f) => `${f.name}:${String(f.type)}`).join()) {
        throw new Error(`emitted batch schema ${String(b.schema.fields)} differs from the output schema ${String(schema.fields)}`);
      }
      batches.push(b);
    }
  };
  const push = (i: number, b: RecordBatch) => {
    rowsIn += b.numRows;
    take(op.push(i, b));
  };
  if (op.readOrder.mode === 'sequential') {
    for (const i of op.readOrder.order) {
      for (const b of inputs[i]!) push(i, b);
      take(op.end(i));
    }
  } else {
    const next = inputs.map(() => 0);
    let open = inputs.length;
    const ended = inputs.map(() => false);
    while (open > 0) {
      inputs.forEach((list, i) => {
        if (ended[i]) return;
        if (next[i]! < list.length) push(i, list[next[i]!++]!);
        else {
          ended[i] = true;
          open--;
          take(op.end(i));
        }
      });
    }
  }
  take(op.finish());
  return { schema, batches, rowsIn, rowsOut: batches.reduce((n, b) => n + b.numRows, 0) };
}

/** Rows of several batches as plain objects. */
export function rowsOfAll(batches: readonly RecordBatch[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const b of batches) {
    for (let i = 0; i < b.numRows; i++) {
      const row: Record<string, unknown> = {};
      b.schema.fields.forEach((f, c) => (row[f.name] = b.getChildAt(c)!.get(i)));
      out.push(row);
    }
  }
  return out;
}

/** `batch` cut into slices of `size` rows. */
export function slices(batch: RecordBatch, size: number): RecordBatch[] {
  const out: RecordBatch[] = [];
  for (let i = 0; i < batch.numRows; i += size) out.push(batch.slice(i, Math.min(batch.numRows, i + size)));
  return out;
}
