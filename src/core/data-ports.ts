import type { RecordBatch, Schema } from 'apache-arrow';

/**
 * The contracts between the engine and the connectors. Data travels as Arrow RecordBatches; each
 * Arrow field carries the exact source column type in its metadata (FIELD_META_PG_TYPE, e.g.
 * `numeric(12,2)`, `text[]`, `public.mood`) so a sink can create a destination with the same types.
 * Batches are never mutated after they are yielded.
 */
export const FIELD_META_PG_TYPE = 'synqx.pg_type';
/** Set on a field that is part of the source's primary key ("1", "2", … = position in the key). */
export const FIELD_META_PK_POSITION = 'synqx.pk_position';

/**
 * Lifecycle: `open` once → iterate `batches` once → `close` (always, also after an error).
 * Iteration is pull-based: the source reads from its socket only while the consumer asks for more,
 * which is how a slow load slows extraction. Aborting `signal` stops the read and makes the
 * iterator throw a CANCELLED SynqxError.
 */
export interface BatchSource {
  /** Schema known before the first batch (from the catalog), so sinks can prepare. */
  open(signal: AbortSignal): Promise<Schema>;
  batches(): AsyncIterable<RecordBatch>;
  /** Planner's row estimate, for progress and ETA; undefined when unknown. */
  estimatedRows(): number | undefined;
  /** Bytes read from the wire so far. */
  bytesRead(): number;
  close(): Promise<void>;
  /**
   * Optional, for straight copies: an opaque description of the wire form this source can hand on
   * undecoded (see BatchSink.acceptsWireOnly); undefined when it cannot.
   */
  wireFormat?(): unknown;
  /**
   * Optional: stop decoding values. Batches then keep their schema and row count but every value reads
   * as NULL; only their wire bytes matter. The coordinator calls it only when every consumer of this
   * source is a sink that accepted `wireFormat()`, before the first batch is read.
   */
  skipDecoding?(): void;
}

export interface LoadResult {
  rowsWritten: number;
  bytesWritten: number;
  /** Chunked commits only: how many chunks were committed (and recorded) in this run. */
  chunksCommitted?: number;
}

/**
 * Lifecycle: `open(schema)` → `write(batch)`* → `commit()` | `abort()`.
 * `write` resolves when the sink can take the next batch (it honours the socket's drain), so
 * awaiting it is the backpressure. Nothing is visible to readers of the destination until `commit`
 * resolves (unless the asset asked for chunked commits). `abort` rolls back and is safe to call at
 * any point, also twice, also after a failed write.
 */
export interface BatchSink {
  open(schema: Schema, signal: AbortSignal): Promise<void>;
  write(batch: RecordBatch): Promise<void>;
  commit(): Promise<LoadResult>;
  abort(reason: unknown): Promise<void>;
  /**
   * Optional: true when, after `open`, this sink can write every batch of a source with this wire format
   * from its wire bytes alone (so the source need not decode values). False when in doubt.
   */
  acceptsWireOnly?(format: unknown): boolean;
}
