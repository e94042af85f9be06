import { Schema } from 'apache-arrow';
import type { RecordBatch } from 'apache-arrow';
import pg from 'pg';
import { copyOut } from './copy-out-stream.js';
import type { BatchSource } from '../../core/data-ports.js';
import { SynqxError } from '../../core/errors.js';
import { parseQualifiedName, quoteIdent, quoteQualified } from '../../core/sql.js';
import { describeQuery, estimateQueryRows, readTable } from './catalog.js';
import { CopyDecoder } from './copy-decoder.js';
import type { PgWireFormat } from './raw-copy.js';
import { cancelledError, secretsOf, toPgSynqxError } from './pg-errors.js';
import { arrowFieldFor, codecForColumn } from './type-map.js';
import type { ColumnCodec, PgColumn } from './type-map.js';

/** Asset options of a Postgres source (names as in the asset config). */
export interface PostgresSourceOptions {
  /** `schema.table` (either part may be double-quoted); required unless `query` is set. */
  table?: string;
  /** Schema for an unqualified `table` (the connection's db_schema); the search_path when absent. */
  schema?: string;
  /** Columns to read, in this order; all columns when absent. */
  columns?: string[];
  /** SQL boolean expression; rows for which it is true are read. */
  where?: string;
  /** A custom SELECT instead of a table. */
  query?: string;
  /** Target rows per batch (default 8192). */
  batch_rows?: number;
  /** Close a batch once its rows took this many COPY bytes (default 8 MiB). */
  batch_bytes?: number;
  /** Read in this order (e.g. the key), which chunked-commit resumption needs to be exact. */
  order_by?: string[];
  /**
   * Keep each batch's COPY bytes beside it so a Postgres sink receiving the batch unchanged sends
   * them without re-encoding (default true). Turn off to halve the memory of batches in flight when
   * every batch goes through a transform anyway.
   */
  keep_raw_copy?: boolean;
}

/** Session settings that make text forms (of types that travel as text) unambiguous. */
const SESSION_SETUP = `SET client_encoding = 'UTF8'; SET datestyle = 'ISO'; SET intervalstyle = 'postgres'; SET extra_float_digits = 3`;

/**
 * Reads a table or query with `COPY (SELECT …) TO STDOUT (FORMAT binary)` and decodes it into
 * Arrow batches. Pull-based: the socket is read only while the consumer asks for batches, so a
 * slow consumer holds at most one batch being built plus a few socket chunks in memory.
 */
export class PostgresSource implements BatchSource {
  private client: pg.Client | undefined;
  private signal: AbortSignal | undefined;
  private decoder: CopyDecoder | undefined;
  private copySql = '';
  private label = '';
  private estimate: number | undefined;
  private bytes = 0;
  private copyStream: { destroy(err?: Error): void } | undefined;
  private streaming = false;
  private iterated = false;

  constructor(
    private readonly connection: pg.ClientConfig,
    private readonly options: PostgresSourceOptions,
  ) {
    if (!options.table && !options.query) throw new SynqxError('CONFIG_INVALID', 'a Postgres source needs a table or a query');
  }

  async open(signal: AbortSignal): Promise<Schema> {
    if (this.client) throw new Error('PostgresSource.open called twice');
    if (signal.aborted) throw cancelledError(signal.reason);
    this.signal = signal;
    const client = new pg.Client(this.connection);
    this.client = client;
    // A dropped connection is reported through the running query; an idle one must not crash us.
    client.on('error', () => {});
    try {
      await client.connect();
      if (signal.aborted) throw cancelledError(signal.reason);
      await client.query(SESSION_SETUP);
      const { columns, from, estimate } = await this.describe(client);
      const selected = this.selectColumns(columns);
      const codecs = selected.map(codecForColumn);
      const schema = new Schema(selected.map((c, i) => arrowFieldFor(c, codecs[i]!)));
      const select = this.selectSql(codecs, from);
      this.copySql = `COPY (${select}) TO STDOUT (FORMAT binary)`;
      // reltuples is free but unknown before the first ANALYZE; the planner can still guess from pages.
      this.estimate = !this.options.where && estimate !== undefined ? estimate : await estimateQueryRows(client, select);
      this.decoder = new CopyDecoder(schema, codecs, {
        batchRows: this.options.batch_rows,
        batchBytes: this.options.batch_bytes,
        keepRaw: this.options.keep_raw_copy ?? true,
      });
      return schema;
    } catch (err) {
      if (signal.aborted) throw cancelledError(signal.reason);
      throw toPgSynqxError(err, 'source', `reading ${this.label || 'source'}`, secretsOf(this.connection));
    }
  }

  batches(): AsyncIterable<RecordBatch> {
    if (!this.decoder || !this.client) throw new Error('PostgresSource.batches called before open');
    if (this.iterated) throw new Error('PostgresSource.batches can be iterated once');
    this.iterated = true;
    return this.run(this.client, this.decoder, this.signal!);
  }

  private async *run(client: pg.Client, decoder: CopyDecoder, signal: AbortSignal): AsyncGenerator<RecordBatch> {
    const stream = client.query(copyOut(this.copySql));
    this.copyStream = stream;
    this.streaming = true;
    const onAbort = () => stream.destroy(cancelledError(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      if (signal.aborted) throw cancelledError(signal.reason);
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        this.bytes += chunk.length;
        const out = decoder.push(chunk);
        for (const batch of out) {
          yield batch;
          if (signal.aborted) throw cancelledError(signal.reason);
        }
      }
      this.streaming = false;
      for (const batch of decoder.finish()) yield batch;
    } catch (err) {
      if (signal.aborted) throw cancelledError(signal.reason);
      throw toPgSynqxError(err, 'source', `reading ${this.label}`, secretsOf(this.connection));
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Binary COPY rows, when batches keep their bytes (keep_raw_copy) so a Postgres sink can pass them on. */
  wireFormat(): PgWireFormat | undefined {
    if (!this.decoder || !(this.options.keep_raw_copy ?? true)) return undefined;
    return { kind: 'postgres-binary-copy', columns: this.decoder.rawColumnFormats };
  }

  skipDecoding(): void {
    if (!this.decoder) throw new Error('PostgresSource.skipDecoding called before open');
    if (this.iterated) throw new Error('PostgresSource.skipDecoding called after reading started');
    this.decoder.skipValues();
  }

  /** True once skipDecoding took effect (diagnostics, tests). */
  get decodingSkipped(): boolean {
    return this.decoder?.skipsValues ?? false;
  }

  estimatedRows(): number | undefined {
    return this.estimate;
  }

  bytesRead(): number {
    return this.bytes;
  }

  /** What is being read, for log lines ("reading public.users"). */
  description(): string {
    return this.label;
  }

  async close(): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.client = undefined;
    // A COPY still streaming (consumer stopped early, abort, error) cannot be stopped politely:
    // end() destroys the socket when a query is active, and the server aborts the COPY.
    if (this.streaming) this.copyStream?.destroy();
    await client.end().catch(() => {});
  }

  private async describe(client: pg.Client): Promise<{ columns: PgColumn[]; from: string; estimate: number | undefined }> {
    const o = this.options;
    if (o.query) {
      const query = o.query.trim().replace(/;+\s*$/, '');
      this.label = 'custom query';
      const columns = await describeQuery(client, query);
      const seen = new Set<string>();
      for (const c of columns) {
        if (c.name === '?column?' || seen.has(c.name)) {
          throw new SynqxError('CONFIG_INVALID', `the source query has an unnamed or duplicate column "${c.name}"; give every column a distinct alias`);
        }
        seen.add(c.name);
      }
      const from = `(${query}) AS q`;
      return { columns, from, estimate: await estimateQueryRows(client, `SELECT * FROM ${from}`) };
    }
    let ref: { schema: string | undefined; name: string };
    try {
      ref = parseQualifiedName(o.table!);
    } catch (err) {
      throw new SynqxError('CONFIG_INVALID', (err as Error).message);
    }
    const info = await readTable(client, ref.schema ?? o.schema, ref.name);
    if (!info) {
      throw new SynqxError('SOURCE_ERROR', `table ${quoteQualified(ref.schema ?? o.schema, ref.name)} does not exist`, { domain: 'user' });
    }
    this.label = `${info.schema}.${info.name}`;
    return { columns: info.columns, from: quoteQualified(info.schema, info.name), estimate: info.estimatedRows };
  }

  private selectColumns(all: PgColumn[]): PgColumn[] {
    const wanted = this.options.columns;
    if (!wanted || wanted.length === 0) return all;
    const byName = new Map(all.map((c) => [c.name, c]));
    return wanted.map((name) => {
      const c = byName.get(name);
      if (!c) throw new SynqxError('CONFIG_INVALID', `column "${name}" does not exist in ${this.label}`);
      return c;
    });
  }

  private selectSql(codecs: ColumnCodec[], from: string): string {
    // Unsupported types are cast to text here and travel as their exact text form.
    const list = codecs.map((c) => (c.castToText ? `${quoteIdent(c.name)}::text AS ${quoteIdent(c.name)}` : quoteIdent(c.name))).join(', ');
    let sql = `SELECT ${list} FROM ${from}`;
    if (this.options.where) sql += ` WHERE (${this.options.where})`;
    if (this.options.order_by && this.options.order_by.length > 0) sql += ` ORDER BY ${this.options.order_by.map(quoteIdent).join(', ')}`;
    return sql;
  }
}

export function createPostgresSource(connection: pg.ClientConfig, options: PostgresSourceOptions): PostgresSource {
  return new PostgresSource(connection, options);
}
