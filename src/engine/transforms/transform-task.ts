import { RecordBatch, RecordBatchStreamWriter, tableFromIPC } from 'apache-arrow';
import { SynqxError } from '../../core/errors.js';
import { buildTransform } from './registry.js';
import { splitOutput, type TransformFn } from './transform.js';

/**
 * The message a pool worker receives: which transform to apply (by registry name and config) and one
 * batch as Arrow IPC stream bytes, whose buffer is transferred, not copied. `key` identifies the
 * (name, config) pair so each worker builds — and parses expressions — once per node, not per batch.
 */
export interface TransformTask {
  key: string;
  name: string;
  config: unknown;
  nodeId: string;
  nowMs: number;
  ipc: Uint8Array;
}

/** `rejectedIpc`: the rows a rejecting transform (validate, type_cast) turned away, moved back like `ipc`. */
export type TransformReply =
  | { ok: true; rows: number; ipc: Uint8Array | null; rejectedIpc: Uint8Array | null }
  | { ok: false; code: string; message: string };

export function encodeBatch(batch: RecordBatch): Uint8Array {
  return RecordBatchStreamWriter.writeAll([batch]).toUint8Array(true);
}

/** Zero copy: the batch's buffers are views into `bytes`. */
export function decodeBatch(bytes: Uint8Array): RecordBatch {
  const table = tableFromIPC(bytes);
  const batch = table.batches[0];
  if (!batch) throw new SynqxError('INTERNAL', 'IPC message holds no record batch');
  return batch;
}

const built = new Map<string, TransformFn>();

/** Runs one task; never throws — failures become a reply so the code survives the thread boundary. */
export function runTransformTask(task: TransformTask): TransformReply {
  try {
    let fn = built.get(task.key);
    if (!fn) {
      fn = buildTransform(task.name, task.config);
      // Bounded: a long-lived worker serves many runs.
      if (built.size >= 64) built.delete(built.keys().next().value!);
      built.set(task.key, fn);
    }
    const { kept, rejected } = splitOutput(fn(decodeBatch(task.ipc), { now: new Date(task.nowMs), nodeId: task.nodeId }));
    const rejectedIpc = rejected ? encodeBatch(rejected) : null;
    if (!kept || kept.numRows === 0) return { ok: true, rows: 0, ipc: null, rejectedIpc };
    return { ok: true, rows: kept.numRows, ipc: encodeBatch(kept), rejectedIpc };
  } catch (err) {
    const code = err instanceof SynqxError ? err.code : 'TRANSFORM_ERROR';
    return { ok: false, code, message: err instanceof Error ? err.message : String(err) };
  }
}
