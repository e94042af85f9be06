import type { RecordBatch } from 'apache-arrow';

// Which batches may have their buffers moved to another thread. Only a producer that allocated a batch's
// buffers itself (the COPY decoder, a worker's reply) marks it; passing a batch to more than one consumer,
// or keeping it, unmarks it. Moving detaches the buffers for every other holder, so when in doubt: copy.
const exclusive = new WeakSet<RecordBatch>();

/** The batch's buffers belong to it alone and nobody else holds the batch. */
export function markExclusive(batch: RecordBatch): void {
  exclusive.add(batch);
}

/** Someone else may hold the batch or its buffers from now on. */
export function markShared(batch: RecordBatch): void {
  exclusive.delete(batch);
}

export function isExclusive(batch: RecordBatch): boolean {
  return exclusive.has(batch);
}
