import type { RecordBatch } from 'apache-arrow';
import type { Kind } from './type-map.js';

/**
 * The binary COPY bytes a batch was decoded from, kept beside it (never inside it: batches stay
 * plain Arrow). A Postgres sink that receives the very same batch object — a pass-through with no
 * transform, or a transform that returned its input — and whose columns have the same wire format
 * can send these bytes instead of re-encoding. Any new batch (a transform's output, a slice) has no
 * entry and is encoded as usual.
 */
export interface RawCopy {
  /** Whole rows, in order; together exactly the batch's rows (no header, no trailer). */
  segments: Uint8Array[];
  byteLength: number;
  /** Wire format of each column as sent by the source. */
  columns: RawColumns;
  /** False when the source skipped decoding (a negotiated straight copy): the batch's values all read NULL. */
  decoded: boolean;
}

export type RawColumns = ReadonlyArray<{ kind: Kind; elemKind: Kind; elemOid: number }>;

/** What a Postgres source offers as BatchSource.wireFormat(): binary COPY rows with these column formats. */
export interface PgWireFormat {
  kind: 'postgres-binary-copy';
  columns: RawColumns;
}

export function isPgWireFormat(format: unknown): format is PgWireFormat {
  return typeof format === 'object' && format !== null && (format as PgWireFormat).kind === 'postgres-binary-copy';
}

const rawByBatch = new WeakMap<RecordBatch, RawCopy>();

export function attachRawCopy(batch: RecordBatch, raw: RawCopy): void {
  rawByBatch.set(batch, raw);
}

export function rawCopyOf(batch: RecordBatch): RawCopy | undefined {
  return rawByBatch.get(batch);
}
