import { randomBytes } from 'node:crypto';
import type { RecordBatch, Schema } from 'apache-arrow';
import { Type } from 'apache-arrow';
import pg from 'pg';
import pgCopy from 'pg-copy-streams';
import type { BatchSink, LoadResult } from '../../core/data-ports.js';
import { SynqxError } from '../../core/errors.js';
import { parseQualifiedName, quoteIdent, quoteQualified } from '../../core/sql.js';
import { readTable } from './catalog.js';
import type { PgTableInfo } from './catalog.js';
import { canCoerce } from './coerce.js';
import { CopyEncoder, DEFAULT_CHUNK_BYTES } from './copy-encoder.js';
import type { EncodeColumn } from './copy-encoder.js';
import { createDestination, primaryKeyOf } from './ddl.js';
import { cancelledError, toPgSynqxError } from './pg-errors.js';
import { rawCopyOf } from './raw-copy.js';
import type { RawCopy } from './raw-copy.js';
import { Kind, arrowMatchesKind, codecForColumn } from './type-map.js';
import { WRITE_MODES, moveFromStagingSql, needsStaging, stagingTableSql } from './write-modes.js';
import type { LoadColumn, WriteMode } from './write-modes.js';

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
type CopyIn = ReturnType<typeof pgCopy.from>;

interface Plan {
  dest: string;
  target: string;
  columns: LoadColumn[];
  encode: EncodeColumn[];
  staging: string | undefined;
  keys: string[];
}

/**
 * Loads Arrow batches with `COPY … FROM STDIN (FORMAT binary)` inside one transaction (or one per
 * chunk with commit_every_rows). At most one COPY chunk is in flight: we encode the next chunk while
 * the previous one is being sent, and wait for its write callback before sending another. Keeping
 * pg-copy-streams' buffer that short also keeps it from writing after the server rejected the COPY.
 */
export class PostgresSink implements BatchSink {
  private readonly mode: WriteMode;
  private client: pg.Client | undefined;
  private state: State = 'new';
  private plan: Plan | undefined;
  private encoder: CopyEncoder | undefined;
  private copy: CopyIn | undefined;
  private copyFailure: unknown;
  private inflight: Promise<void> | undefined;
  private failWaiter: ((err: unknown) => void) | undefined;
  private readonly chunks: Uint8Array[] = [];
  private readonly collect = (chunk: Uint8Array) => void this.chunks.push(chunk);
  private signal: AbortSignal | undefined;
  private onAbortSignal: (() => void) | undefined;
  private toSkip: number;
  private rowsWritten = 0;
  private rowsSinceCommit = 0;
  private chunksCommitted = 0;
  private label = '';
  private bytesSent = 0;
  private readonly counts = { passedThrough: 0, encoded: 0 };
  private readonly chunkBytes: number;
  private readonly passThrough = new WeakMap<Schema, boolean>();

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
    this.onAbortSignal = () => {
      this.failWaiter?.(cancelledError(signal.reason));
      void this.abort(signal.reason);
    };
    signal.addEventListener('abort', this.onAbortSignal, { once: true });
    const client = new pg.Client(this.connection);
    this.client = client;
    client.on('error', () => {}); // surfaced through the failing query or COPY
    try {
      await client.connect();
      await client.query(SESSION_SETUP);
      await client.query('BEGIN');
      this.plan = await this.preparePlan(client, schema);
      if (this.mode === 'truncate' && (this.options.resume_after_rows ?? 0) === 0) await client.query(`TRUNCATE ${this.plan.dest}`);
      if (this.plan.staging) {
        await client.query(stagingTableSql(this.plan.staging, this.plan.columns, Boolean(this.options.commit_every_rows)));
      }
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
      if (raw && this.canPassThrough(b.schema, raw)) {
        await this.sendRaw(raw);
        this.counts.passedThrough++;
      } else {
        this.counts.encoded++;
        const encoder = this.encoder!;
        encoder.begin(b);
        let more = true;
        while (more) {
          more = encoder.encodeSome(this.collect);
          for (const chunk of this.chunks) await this.send(chunk);
          this.chunks.length = 0;
        }
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
      await this.endCopy();
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

  /** Batches sent as the source's own COPY bytes vs re-encoded from Arrow (diagnostics). */
  batchCounts(): { passedThrough: number; encoded: number } {
    return { ...this.counts };
  }

  /** Rolls back: CopyFail for a running COPY, then ROLLBACK; safe at any point and more than once. */
  async abort(_reason: unknown): Promise<void> {
    if (this.state === 'committed' || this.state === 'aborted') return;
    this.state = 'aborted';
    this.failWaiter?.(cancelledError(_reason));
    const client = this.client;
    if (!client) return;
    try {
      const copy = this.copy;
      if (copy && this.copyFailure === undefined && !copy.destroyed) {
        // destroy() sends CopyFail; the server answers with an error, then the session is usable.
        const closed = new Promise<void>((resolve) => copy.once('close', () => resolve()));
        copy.on('error', () => {});
        copy.destroy(new Error('load aborted'));
        await withTimeout(closed, CLEANUP_TIMEOUT_MS);
      }
      await withTimeout(client.query('ROLLBACK'), CLEANUP_TIMEOUT_MS);
    } catch {
      // Whatever state the session is in, closing it below discards the transaction.
    } finally {
      await this.release();
    }
  }

  private async preparePlan(client: pg.Client, schema: Schema): Promise<Plan> {
    let ref: { schema: string | undefined; name: string };
    try {
      ref = parseQualifiedName(this.options.table);
    } catch (err) {
      throw new SynqxError('CONFIG_INVALID', (err as Error).message);
    }
    const schemaName = ref.schema ?? this.options.schema;
    this.label = schemaName ? `${schemaName}.${ref.name}` : ref.name;
    let info = await readTable(client, schemaName, ref.name);
    if (!info) {
      if (this.options.create_if_missing === false) {
        throw new SynqxError('DESTINATION_ERROR', `table ${this.label} does not exist (create_if_missing is off)`, { domain: 'user' });
      }
      const pk = this.mode === 'upsert' && this.options.upsert_keys?.length ? this.options.upsert_keys : primaryKeyOf(schema);
      await createDestination(client, schemaName, ref.name, schema, pk);
      info = (await readTable(client, schemaName, ref.name))!;
    }
    this.label = `${info.schema}.${info.name}`;
    const dest = quoteQualified(info.schema, info.name);
    const { columns, encode } = this.mapColumns(schema, info);
    let keys: string[] = [];
    if (this.mode === 'upsert') {
      keys = this.options.upsert_keys?.length ? this.options.upsert_keys : info.primaryKey;
      if (keys.length === 0) throw new SynqxError('CONFIG_INVALID', `upsert into ${this.label} needs upsert_keys (the table has no primary key)`);
      const loaded = new Set(columns.map((c) => c.name));
      const missing = keys.filter((k) => !loaded.has(k));
      if (missing.length > 0) throw new SynqxError('CONFIG_INVALID', `upsert key column(s) ${missing.join(', ')} are not in the loaded data`);
    }
    const staging = needsStaging(this.mode, columns) ? quoteQualified('pg_temp', `synqx_stage_${randomBytes(6).toString('hex')}`) : undefined;
    if (staging) {
      // Staging columns use the base type of domains, whose array elements then carry the base oid.
      for (const e of encode) {
        const col = info.columns.find((c) => c.name === e.name)!;
        if (e.kind === Kind.ARRAY && col.elem) e.elemOid = col.elem.oid;
      }
    }
    this.encoder = new CopyEncoder(encode, { chunkBytes: this.chunkBytes });
    return { dest, target: staging ?? dest, columns, encode, staging, keys };
  }

  /** Matches fields to destination columns by name and picks each column's wire format. */
  private mapColumns(schema: Schema, info: PgTableInfo): { columns: LoadColumn[]; encode: EncodeColumn[] } {
    const byName = new Map(info.columns.map((c) => [c.name, c]));
    const columns: LoadColumn[] = [];
    const encode: EncodeColumn[] = [];
    schema.fields.forEach((f, index) => {
      const col = byName.get(f.name);
      if (!col) {
        throw new SynqxError('DESTINATION_ERROR', `column "${f.name}" does not exist in ${this.label}`, { domain: 'user' });
      }
      const codec = codecForColumn(col);
      const native = !codec.castToText && (arrowMatchesKind(f.type, codec.kind, codec.elemKind) || canCoerce(f.type, codec.kind));
      const viaText = !native && f.type.typeId === Type.Utf8;
      if (!native && !viaText) {
        throw new SynqxError('DATA_ERROR', `column "${f.name}": Arrow type ${String(f.type)} cannot be loaded into ${col.formatType}`);
      }
      columns.push({ name: f.name, destType: col.formatType, viaText });
      encode.push({
        name: f.name,
        index,
        kind: viaText ? Kind.TEXT : codec.kind,
        elemKind: codec.elemKind,
        elemOid: codec.elemOid,
      });
    });
    return { columns, encode };
  }

  /**
   * Whether a batch's source COPY bytes can go out as they are: same columns in the same order, each
   * with the same wire format (array element oids included, as array_recv checks them), none cast.
   */
  private canPassThrough(schema: Schema, raw: RawCopy): boolean {
    const cached = this.passThrough.get(schema);
    if (cached !== undefined) return cached;
    const { columns, encode } = this.plan!;
    const ok =
      raw.columns.length === encode.length &&
      schema.fields.length === encode.length &&
      encode.every((e, i) => {
        const r = raw.columns[i]!;
        return (
          e.index === i &&
          schema.fields[i]!.name === e.name &&
          !columns[i]!.viaText &&
          r.kind === e.kind &&
          (e.kind !== Kind.ARRAY || (r.elemKind === e.elemKind && r.elemOid === e.elemOid))
        );
      });
    this.passThrough.set(schema, ok);
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

  private async startCopy(): Promise<void> {
    const plan = this.plan!;
    const cols = plan.columns.map((c) => quoteIdent(c.name)).join(', ');
    const copy = this.client!.query(pgCopy.from(`COPY ${plan.target} (${cols}) FROM STDIN (FORMAT binary)`));
    this.copy = copy;
    this.copyFailure = undefined;
    copy.on('error', (err) => {
      if (this.copyFailure === undefined) this.copyFailure = err;
      this.failWaiter?.(err);
    });
    // Waiting for the header to be taken also waits for CopyInResponse (or the COPY's error).
    await this.send(this.encoder!.header());
    await this.inflight;
  }

  /** Writes one chunk after the previous one was taken; rejects as soon as the COPY fails. */
  private async send(chunk: Uint8Array): Promise<void> {
    if (this.inflight) await this.inflight;
    if (this.copyFailure !== undefined) throw this.copyFailure;
    if (this.state !== 'open') throw cancelledError();
    const copy = this.copy!;
    this.bytesSent += chunk.length;
    const p = new Promise<void>((resolve, reject) => {
      this.failWaiter = reject;
      copy.write(chunk, (err) => (err ? reject(err) : resolve()));
    });
    p.catch(() => {}); // observed by the next send/endCopy; never an unhandled rejection
    this.inflight = p;
  }

  private async endCopy(): Promise<void> {
    await this.send(this.encoder!.trailer());
    await this.inflight;
    this.inflight = undefined;
    const copy = this.copy!;
    await new Promise<void>((resolve, reject) => {
      this.failWaiter = reject;
      copy.once('finish', () => resolve());
      copy.end();
    });
    this.failWaiter = undefined;
    this.copy = undefined;
  }

  private async moveFromStaging(): Promise<void> {
    const plan = this.plan!;
    if (!plan.staging) return;
    for (const sql of moveFromStagingSql(this.mode, plan.dest, plan.staging, plan.columns, plan.keys)) await this.client!.query(sql);
  }

  private async commitChunk(): Promise<void> {
    await this.endCopy();
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
    if (this.state === 'aborted') throw cancelledError(this.signal?.reason);
    if (this.state !== 'open') throw new SynqxError('INTERNAL', `PostgresSink is ${this.state}`);
  }

  private fail(err: unknown, action: string): SynqxError {
    if (this.state === 'open') this.state = 'failed';
    if (this.signal?.aborted || this.state === 'aborted') return cancelledError(this.signal?.reason);
    return toPgSynqxError(err, 'destination', `${action} ${this.label || 'destination'}`, [this.connection.password as string | undefined]);
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

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
