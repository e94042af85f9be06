import type { RecordBatch, Schema } from 'apache-arrow';
import pg from 'pg';
import type { BatchSink, LoadResult } from '../../core/data-ports.js';
import { SynqxError } from '../../core/errors.js';
import { quoteIdent } from '../../core/sql.js';
import { CopyEncoder, DEFAULT_CHUNK_BYTES } from './copy-encoder.js';
import { CopyIn, withTimeout } from './copy-in.js';
import { canPassThrough, prepareLoadPlan } from './load-plan.js';
import type { LoadPlan } from './load-plan.js';
import { cancelledError, secretsOf, toPgSynqxError } from './pg-errors.js';
import { isPgWireFormat, rawCopyOf } from './raw-copy.js';
import type { RawCopy } from './raw-copy.js';
import { WRITE_MODES, moveFromStagingSql, stagingTableSql } from './write-modes.js';
import type { WriteMode } from './write-modes.js';

/** Asset options of a Postgres destination (names as in the asset config). */
export interface PostgresSinkOptions {
  /** `schema.table` (either part may be double-quoted). */
  table: string;
  /** Schema for an unqualified `table` (the connection's db_schema); the search_path when absent. */
  schema?: string;
  write_mode?: WriteMode;
  /** Conflict keys for upsert; the destination's primary key when absent. */
  upsert_keys?: string[];
  /** Create a missing destination from the source schema (default true). */
  create_if_missing?: boolean;
  /** Commit every N rows (at batch boundaries) instead of once at the end. Not with replace. */
  commit_every_rows?: number;
  /** Rows of this input an earlier attempt already committed (chunked commits): they are skipped. */
  resume_after_rows?: number;
  /** Size of the COPY chunks written to the socket (default 1 MiB). */
  copy_chunk_bytes?: number;
}

export interface CommittedChunk {
  /** 1-based chunk number in this run. */
  chunk: number;
  /** Input rows now safely in the destination, counting resume_after_rows: resume from here. */
  rowsCommitted: number;
  rowsInChunk: number;
}

export interface PostgresSinkHooks {
  /** Awaited after each chunk's COMMIT (chunked commits only), e.g. to record resume progress. */
  onChunkCommitted?: (chunk: CommittedChunk) => void | Promise<void>;
}

const SESSION_SETUP = `SET client_encoding = 'UTF8'; SET datestyle = 'ISO'; SET intervalstyle = 'postgres'; SET extra_float_digits = 3`;
const CLEANUP_TIMEOUT_MS = 10_000;

type State = 'new' | 'open' | 'failed' | 'committed' | 'aborted';

/**
 * Loads Arrow batches with `COPY … FROM STDIN (FORMAT binary)` inside one transaction (or one per
 * chunk with commit_every_rows); see write-modes.ts for what each mode does around the COPY. A
 * batch that still carries its source's COPY bytes (raw-copy.ts) is sent as those bytes when the
 * wire formats match; any other batch is encoded a chunk at a time.
 */
export class PostgresSink implements BatchSink {
  private readonly mode: WriteMode;
  private readonly chunkBytes: number;
  private client: pg.Client | undefined;
  private state: State = 'new';
  private plan: LoadPlan | undefined;
  private schema: Schema | undefined;
  private encoder: CopyEncoder | undefined;
  private copy: CopyIn | undefined;
  private readonly chunks: Uint8Array[] = [];
  private readonly collect = (chunk: Uint8Array) => void this.chunks.push(chunk);
  private readonly passThrough = new WeakMap<Schema, boolean>();
  private signal: AbortSignal | undefined;
  private onAbortSignal: (() => void) | undefined;
  private toSkip: number;
  private rowsWritten = 0;
  private rowsSinceCommit = 0;
  private chunksCommitted = 0;
  private bytesSent = 0;
  private readonly counts = { passedThrough: 0, encoded: 0 };
  private abortReason: unknown;

  constructor(
    private readonly connection: pg.ClientConfig,
    private readonly options: PostgresSinkOptions,
    private readonly hooks: PostgresSinkHooks = {},
  ) {
    this.mode = options.write_mode ?? 'append';
    if (!WRITE_MODES.includes(this.mode)) throw new SynqxError('CONFIG_INVALID', `unknown write_mode "${String(this.mode)}"`);
    if (options.commit_every_rows !== undefined && !(options.commit_every_rows > 0)) {
      throw new SynqxError('CONFIG_INVALID', 'commit_every_rows must be a positive number');
    }
    if (options.commit_every_rows && this.mode === 'replace') {
      throw new SynqxError('CONFIG_INVALID', 'commit_every_rows cannot be combined with write_mode "replace", which swaps all rows at once');
    }
    this.toSkip = options.resume_after_rows ?? 0;
    this.chunkBytes = Math.max(4096, options.copy_chunk_bytes ?? DEFAULT_CHUNK_BYTES);
  }

  async open(schema: Schema, signal: AbortSignal): Promise<void> {
    if (this.state !== 'new') throw new Error('PostgresSink.open called twice');
    if (signal.aborted) throw cancelledError(signal.reason);
    this.state = 'open';
    this.signal = signal;
    this.onAbortSignal = () => void this.abort(signal.reason);
    signal.addEventListener('abort', this.onAbortSignal, { once: true });
    const client = new pg.Client(this.connection);
    this.client = client;
    client.on('error', () => {}); // surfaced through the failing query or COPY
    try {
      await client.connect();
      await client.query(SESSION_SETUP);
      await client.query('BEGIN');
      const o = this.options;
      const plan = await prepareLoadPlan(client, schema, { ...o, mode: this.mode });
      this.plan = plan;
      this.schema = schema;
      this.encoder = new CopyEncoder(plan.encode, { chunkBytes: this.chunkBytes });
      if (this.mode === 'truncate' && (o.resume_after_rows ?? 0) === 0) await client.query(`TRUNCATE ${plan.dest}`);
      if (plan.staging) await client.query(stagingTableSql(plan.staging, plan.columns, Boolean(o.commit_every_rows)));
      await this.startCopy();
    } catch (err) {
      throw this.fail(err, 'preparing');
    }
  }

  async write(batch: RecordBatch): Promise<void> {
    this.assertOpen();
    try {
      let b = batch;
      if (this.toSkip > 0) {
        if (b.numRows <= this.toSkip) {
          this.toSkip -= b.numRows;
          return;
        }
        b = b.slice(this.toSkip, b.numRows);
        this.toSkip = 0;
      }
      const raw = rawCopyOf(b);
      if (raw && this.passesThrough(b.schema, raw)) {
        await this.sendRaw(raw);
        this.counts.passedThrough++;
      } else if (raw && !raw.decoded) {
        // acceptsWireOnly said yes, so this cannot happen; encoding the placeholder NULLs would lose data.
        throw new SynqxError('INTERNAL', 'an undecoded batch reached a load that cannot pass its bytes through');
      } else {
        await this.sendEncoded(b);
        this.counts.encoded++;
      }
      this.rowsWritten += b.numRows;
      this.rowsSinceCommit += b.numRows;
      const every = this.options.commit_every_rows;
      if (every && this.rowsSinceCommit >= every) await this.commitChunk();
    } catch (err) {
      this.chunks.length = 0;
      throw this.fail(err, 'writing');
    }
  }

  async commit(): Promise<LoadResult> {
    this.assertOpen();
    try {
      await this.finishCopy();
      await this.moveFromStaging();
      // abort() may have run while we waited (its ROLLBACK queued ahead of us): never COMMIT then.
      this.assertOpen();
      await this.client!.query('COMMIT');
      this.state = 'committed';
      if (this.options.commit_every_rows && (this.rowsSinceCommit > 0 || this.chunksCommitted === 0)) await this.recordChunk();
    } catch (err) {
      throw this.fail(err, 'committing');
    } finally {
      if (this.state === 'committed') await this.release();
    }
    return {
      rowsWritten: this.rowsWritten,
      bytesWritten: this.bytesSent,
      ...(this.options.commit_every_rows ? { chunksCommitted: this.chunksCommitted } : {}),
    };
  }

  /** Rolls back: CopyFail for a running COPY, then ROLLBACK; safe at any point and more than once. */
  async abort(reason: unknown): Promise<void> {
    if (this.state === 'committed' || this.state === 'aborted') return;
    this.state = 'aborted';
    this.abortReason = reason;
    this.copy?.interrupt(cancelledError(reason));
    const client = this.client;
    if (!client) return;
    try {
      await this.copy?.cancel(CLEANUP_TIMEOUT_MS);
      await withTimeout(client.query('ROLLBACK'), CLEANUP_TIMEOUT_MS);
    } catch {
      // Whatever state the session is in, closing it below discards the transaction.
    } finally {
      await this.release();
    }
  }

  /**
   * After open: a straight copy from a Postgres source whose column wire formats match the destination's
   * and with no rows to skip (a resumed chunked load slices batches, which needs decoded values).
   */
  acceptsWireOnly(format: unknown): boolean {
    if (this.state !== 'open' || !this.plan || !this.schema || this.toSkip > 0 || !isPgWireFormat(format)) return false;
    return canPassThrough(this.plan, this.schema, format.columns);
  }

  /** COPY bytes handed to the socket so far (diagnostics, tests). */
  bytesSentSoFar(): number {
    return this.bytesSent;
  }

  /** Batches sent as the source's own COPY bytes vs re-encoded from Arrow (diagnostics). */
  batchCounts(): { passedThrough: number; encoded: number } {
    return { ...this.counts };
  }

  private passesThrough(schema: Schema, raw: RawCopy): boolean {
    let ok = this.passThrough.get(schema);
    if (ok === undefined) {
      ok = canPassThrough(this.plan!, schema, raw.columns);
      this.passThrough.set(schema, ok);
    }
    return ok;
  }

  /** Sends a batch's source bytes, coalesced into chunk-sized writes. */
  private async sendRaw(raw: RawCopy): Promise<void> {
    let left = raw.byteLength;
    let buf = Buffer.allocUnsafe(Math.min(this.chunkBytes, left));
    let o = 0;
    for (const seg of raw.segments) {
      let s = 0;
      while (s < seg.length) {
        const n = Math.min(seg.length - s, buf.length - o);
        buf.set(s === 0 && n === seg.length ? seg : seg.subarray(s, s + n), o);
        o += n;
        s += n;
        left -= n;
        if (o === buf.length) {
          await this.send(buf);
          if (left > 0) buf = Buffer.allocUnsafe(Math.min(this.chunkBytes, left));
          o = 0;
        }
      }
    }
  }

  /** Encodes a chunk, sends it while the next one is encoded. */
  private async sendEncoded(batch: RecordBatch): Promise<void> {
    const encoder = this.encoder!;
    encoder.begin(batch);
    let more = true;
    while (more) {
      more = encoder.encodeSome(this.collect);
      for (const chunk of this.chunks) await this.send(chunk);
      this.chunks.length = 0;
    }
  }

  private async send(chunk: Uint8Array): Promise<void> {
    if (this.state !== 'open') throw cancelledError(this.signal?.reason ?? this.abortReason);
    await this.copy!.send(chunk);
    this.bytesSent += chunk.length;
  }

  private async startCopy(): Promise<void> {
    const plan = this.plan!;
    const cols = plan.columns.map((c) => quoteIdent(c.name)).join(', ');
    this.copy = new CopyIn(this.client!, `COPY ${plan.target} (${cols}) FROM STDIN (FORMAT binary)`);
    // Waiting for the header to be taken also waits for CopyInResponse (or the COPY's error).
    await this.send(this.encoder!.header());
    await this.copy.flushed();
  }

  private async finishCopy(): Promise<void> {
    await this.send(this.encoder!.trailer());
    await this.copy!.finish();
    this.copy = undefined;
  }

  private async moveFromStaging(): Promise<void> {
    const plan = this.plan!;
    if (!plan.staging) return;
    for (const sql of moveFromStagingSql(this.mode, plan.dest, plan.staging, plan.columns, plan.keys)) await this.client!.query(sql);
  }

  private async commitChunk(): Promise<void> {
    await this.finishCopy();
    await this.moveFromStaging();
    this.assertOpen();
    await this.client!.query('COMMIT');
    await this.recordChunk();
    await this.client!.query('BEGIN');
    await this.startCopy();
  }

  private async recordChunk(): Promise<void> {
    this.chunksCommitted++;
    const chunk: CommittedChunk = {
      chunk: this.chunksCommitted,
      rowsCommitted: (this.options.resume_after_rows ?? 0) + this.rowsWritten,
      rowsInChunk: this.rowsSinceCommit,
    };
    this.rowsSinceCommit = 0;
    await this.hooks.onChunkCommitted?.(chunk);
  }

  private assertOpen(): void {
    if (this.state === 'aborted') throw cancelledError(this.signal?.reason ?? this.abortReason);
    if (this.state !== 'open') throw new SynqxError('INTERNAL', `PostgresSink is ${this.state}`);
  }

  private fail(err: unknown, action: string): SynqxError {
    if (this.state === 'open') this.state = 'failed';
    if (this.signal?.aborted || this.state === 'aborted') return cancelledError(this.signal?.reason ?? this.abortReason);
    const where = this.plan?.label ?? this.options.table;
    return toPgSynqxError(err, 'destination', `${action} ${where}`, secretsOf(this.connection));
  }

  private async release(): Promise<void> {
    if (this.signal && this.onAbortSignal) this.signal.removeEventListener('abort', this.onAbortSignal);
    const client = this.client;
    this.client = undefined;
    if (client) await withTimeout(client.end(), CLEANUP_TIMEOUT_MS).catch(() => {});
  }
}

export function createPostgresSink(connection: pg.ClientConfig, options: PostgresSinkOptions, hooks?: PostgresSinkHooks): PostgresSink {
  return new PostgresSink(connection, options, hooks);
}
