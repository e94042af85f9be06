import type { RecordBatch, Schema } from 'apache-arrow';
import pg from 'pg';
import type { AssetTarget } from '../connector.js';
import type { BatchSource } from '../../core/data-ports.js';
import { SynqxError } from '../../core/errors.js';
import { parseQualifiedName } from '../../core/sql.js';
import { readTable } from './catalog.js';
import { pgClientConfig } from './connect.js';
import { createPostgresSource, type PostgresSource } from './source.js';
import type { PostgresAssetOptions, PostgresConfig } from './spec.js';

function tableOf(asset: AssetTarget): string {
  return asset.fully_qualified_name ?? asset.name;
}

/**
 * A Postgres table source read in primary-key order, so that "skip the first N rows" on a retry
 * skips the rows the earlier attempt committed. The key is looked up when the source opens (on a
 * short connection of its own); without one the table is read in whatever order Postgres picks and
 * `warn` says so.
 */
export function createOrderedPostgresSource(
  config: PostgresConfig,
  asset: AssetTarget,
  options: PostgresAssetOptions,
  keepRawCopy: boolean,
  warn: (message: string) => Promise<void>,
): BatchSource {
  return new OrderedSource(config, asset, options, keepRawCopy, warn);
}

class OrderedSource implements BatchSource {
  private inner: PostgresSource | undefined;

  constructor(
    private readonly config: PostgresConfig,
    private readonly asset: AssetTarget,
    private readonly options: PostgresAssetOptions,
    private readonly keepRawCopy: boolean,
    private readonly warn: (message: string) => Promise<void>,
  ) {}

  async open(signal: AbortSignal): Promise<Schema> {
    const table = tableOf(this.asset);
    const orderBy = await this.primaryKey(table);
    if (orderBy.length === 0) await this.warn(`${table} has no primary key: it is read in no stable order, so a resumed chunked load may skip or repeat rows`);
    this.inner = createPostgresSource(pgClientConfig(this.config), {
      table,
      schema: this.config.db_schema,
      columns: this.options.columns,
      where: this.options.where,
      batch_rows: this.options.batch_rows,
      batch_bytes: this.options.batch_bytes,
      keep_raw_copy: this.keepRawCopy,
      ...(orderBy.length > 0 ? { order_by: orderBy } : {}),
    });
    return this.inner.open(signal);
  }

  batches(): AsyncIterable<RecordBatch> {
    return this.opened().batches();
  }

  estimatedRows(): number | undefined {
    return this.inner?.estimatedRows();
  }

  bytesRead(): number {
    return this.inner?.bytesRead() ?? 0;
  }

  async close(): Promise<void> {
    await this.inner?.close();
  }

  private opened(): PostgresSource {
    if (!this.inner) throw new SynqxError('INTERNAL', 'ordered source used before open', { domain: 'internal' });
    return this.inner;
  }

  private async primaryKey(table: string): Promise<string[]> {
    const client = new pg.Client(pgClientConfig(this.config));
    client.on('error', () => {});
    try {
      const ref = parseQualifiedName(table);
      await client.connect();
      const info = await readTable(client, ref.schema ?? this.config.db_schema, ref.name);
      return info?.primaryKey ?? [];
    } catch {
      // The source's own open reports an unreachable database or a missing table properly.
      return [];
    } finally {
      await client.end().catch(() => {});
    }
  }
}
