import type { Data, RecordBatch } from 'apache-arrow';

/** Bytes held by a batch's buffers (what it costs in a mailbox); shared dictionaries are counted too. */
export function batchBytes(batch: RecordBatch): number {
  return dataBytes(batch.data);
}

function dataBytes(data: Data): number {
  let total = 0;
  for (const b of [data.values, data.valueOffsets, data.nullBitmap, data.typeIds] as (ArrayBufferView | undefined)[]) {
    if (b) total += b.byteLength;
  }
  for (const child of data.children) total += dataBytes(child);
  if (data.dictionary) for (const d of data.dictionary.data) total += dataBytes(d);
  return total;
}
