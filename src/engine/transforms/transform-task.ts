import { SynqxError } from '../../core/errors.js';
import { packBatch, unpackBatch, type PackedBatch } from './batch-transfer.js';
import { isFresh } from './fresh-buffers.js';
import { buildTransform } from './registry.js';
import { splitOutput, type TransformFn } from './transform.js';

/**
 * The message a pool worker receives: which transform to apply (by registry name and config) and one
 * packed batch (batch-transfer.ts), whose buffers are moved, not copied. `key` identifies the
 * (name, config) pair so each worker builds — and parses expressions — once per node, not per batch.
 */
export interface TransformTask {
  key: string;
  name: string;
  config: unknown;
  nodeId: string;
  nowMs: number;
  /** TransformContext.salt: crosses to the worker with every task, never cached there. */
  salt?: string;
  batch: PackedBatch;
}

/** Piscina `workerData` of every transform worker. */
export interface TransformWorkerData {
  /** PLUGIN_DIR as installed by the process that owns the pool. */
  pluginDir: string | undefined;
}

/** `rejectedIpc`: the rows a rejecting transform (validate, type_cast) turned away, moved back like `ipc`. */
export type TransformReply =
  | { ok: true; rows: number; batch: PackedBatch | null; rejected: PackedBatch | null }
  | { ok: false; code: string; message: string };

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
    const received = new Set(task.batch.buffers);
    const ctx = { now: new Date(task.nowMs), nodeId: task.nodeId, ...(task.salt === undefined ? {} : { salt: task.salt }) };
    const { kept, rejected } = splitOutput(fn(unpackBatch(task.batch), ctx));
    // What came in moved is ours to move back, and so are buffers the transform allocated for this output
    // alone (fresh-buffers.ts); anything else is copied once, since it may be shared (a cache, a builder's
    // pool) and must stay alive here. A buffer both outputs use is moved once, with the kept rows.
    const movable = (b: ArrayBuffer) => received.has(b) || isFresh(b);
    const keptPacked = kept && kept.numRows > 0 ? packBatch(kept, movable) : null;
    const taken = new Set(keptPacked?.buffers);
    const rejectedPacked = rejected && rejected.numRows > 0 ? packBatch(rejected, (b) => movable(b) && !taken.has(b)) : null;
    return { ok: true, rows: keptPacked ? kept!.numRows : 0, batch: keptPacked, rejected: rejectedPacked };
  } catch (err) {
    const code = err instanceof SynqxError ? err.code : 'TRANSFORM_ERROR';
    return { ok: false, code, message: err instanceof Error ? err.message : String(err) };
  }
}
