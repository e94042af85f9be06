import { setTimeout as sleep } from 'node:timers/promises';
import type { RecordBatch, Schema } from 'apache-arrow';
import type { BatchSink, BatchSource, LoadResult } from '../../src/core/data-ports.js';
import { SynqxError } from '../../src/core/errors.js';

/**
 * In-memory BatchSource/BatchSink fakes for engine tests: they keep to the contracts in
 * src/core/data-ports.ts (pull-based reads, abort = rollback) and record what happened to them.
 */
export interface MemorySourceOptions {
  schema: Schema;
  /** Batch i of `count`; called lazily, so a long source holds no more than the engine asks for. */
  batch: (i: number) => RecordBatch;
  count: number;
  delayMs?: number;
  /** Throw a SOURCE_ERROR instead of yielding batch i. */
  failAt?: number;
  estimatedRows?: number;
}

export class MemorySource implements BatchSource {
  pulled = 0;
  rows = 0;
  opened = false;
  closed = false;
  /** The iterator ran to its end. */
  finished = false;
  private bytes = 0;
  private signal: AbortSignal | undefined;

  constructor(private readonly opts: MemorySourceOptions) {}

  async open(signal: AbortSignal): Promise<Schema> {
    this.signal = signal;
    this.opened = true;
    return this.opts.schema;
  }

  async *batches(): AsyncIterable<RecordBatch> {
    for (let i = 0; i < this.opts.count; i++) {
      if (this.opts.delayMs) await sleep(this.opts.delayMs);
      if (this.signal?.aborted) throw new SynqxError('CANCELLED', 'source read aborted');
      if (this.opts.failAt === i) throw new SynqxError('SOURCE_ERROR', `source broke at batch ${i}`);
      const b = this.opts.batch(i);
      this.pulled++;
      this.rows += b.numRows;
      this.bytes += b.numRows * 8;
      yield b;
    }
    this.finished = true;
  }

  estimatedRows(): number | undefined {
    return this.opts.estimatedRows;
  }

  bytesRead(): number {
    return this.bytes;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

export interface MemorySinkOptions {
  writeDelayMs?: number;
  /** Throw a DESTINATION_ERROR on write number i (0-based). */
  failAtWrite?: number;
  failOnOpen?: boolean;
  failOnCommit?: boolean;
  /** Keep the batches (off for long runs). */
  keep?: boolean;
  /** Write number i never resolves (a sink that ignores cancellation). */
  hangAtWrite?: number;
  /** Called before each write, e.g. to observe how far the source has read. */
  onWrite?: (index: number, batch: RecordBatch) => void;
  onCommit?: () => void;
}

export class MemorySink implements BatchSink {
  state: 'new' | 'open' | 'committed' | 'aborted' = 'new';
  schema: Schema | undefined;
  readonly batches: RecordBatch[] = [];
  writes = 0;
  rows = 0;
  abortReason: unknown;
  abortCalls = 0;

  constructor(private readonly opts: MemorySinkOptions = {}) {}

  async open(schema: Schema): Promise<void> {
    if (this.opts.failOnOpen) throw new SynqxError('DESTINATION_ERROR', 'cannot open destination');
    this.schema = schema;
    this.state = 'open';
  }

  async write(batch: RecordBatch): Promise<void> {
    if (this.state !== 'open') throw new SynqxError('INTERNAL', `write in state ${this.state}`);
    const i = this.writes++;
    this.opts.onWrite?.(i, batch);
    if (this.opts.hangAtWrite === i) await new Promise(() => {});
    if (this.opts.writeDelayMs) await sleep(this.opts.writeDelayMs);
    if (this.opts.failAtWrite === i) throw new SynqxError('DESTINATION_ERROR', `destination rejected write ${i}`);
    if (this.opts.keep !== false) this.batches.push(batch);
    this.rows += batch.numRows;
  }

  async commit(): Promise<LoadResult> {
    if (this.state !== 'open') throw new SynqxError('INTERNAL', `commit in state ${this.state}`);
    this.opts.onCommit?.();
    if (this.opts.failOnCommit) throw new SynqxError('DESTINATION_ERROR', 'commit failed');
    this.state = 'committed';
    return { rowsWritten: this.rows, bytesWritten: this.rows * 10 };
  }

  async abort(reason: unknown): Promise<void> {
    this.abortCalls++;
    this.abortReason = reason;
    if (this.state !== 'committed') this.state = 'aborted';
  }
}
