import type { AssetTarget, Connector } from '../connector.js';
import { SynqxError } from '../../core/errors.js';
import { pgClientConfig, postgresSecretValues } from './connect.js';
import { discoverPostgres } from './discover.js';
import { createPostgresSink } from './sink.js';
import { createOrderedPostgresSource } from './ordered-source.js';
import { createPostgresSource } from './source.js';
import { POSTGRES_SECRET_FIELDS, postgresAssetOptionsSchema, postgresConfigSchema, type PostgresAssetOptions, type PostgresConfig } from './spec.js';
import { testPostgresConnection } from './test-connection.js';

/** PostgreSQL: spec, test, discover, and COPY-based sources and sinks. */
export const postgresConnector: Connector<PostgresConfig, PostgresAssetOptions> = {
  type: 'postgresql',
  aliases: ['postgres'],
  description: 'PostgreSQL 12+ (tables, views and queries as sources; tables as destinations)',
  configSchema: postgresConfigSchema,
  secretFields: POSTGRES_SECRET_FIELDS,
  assetOptionsSchema: postgresAssetOptionsSchema,
  defaultNamespace: (config) => config.db_schema,
  secretValues: postgresSecretValues,
  test: (config, opts) => testPostgresConnection(config, opts),
  discover: (config, opts) => discoverPostgres(config, opts),
  createSource(config, asset, options, hints) {
    const client = pgClientConfig(config);
    if (asset.asset_type === 'query' || options.query) {
      if (!options.query) throw new SynqxError('CONFIG_INVALID', `query asset "${asset.name}" has no query`);
      return createPostgresSource(client, { query: options.query, batch_rows: options.batch_rows, batch_bytes: options.batch_bytes, keep_raw_copy: hints?.rawPassThrough });
    }
    if (hints?.stableOrder) {
      return createOrderedPostgresSource(config, asset, options, hints.rawPassThrough ?? true, hints.warn ?? (async () => {}));
    }
    return createPostgresSource(client, {
      table: tableOf(asset),
      schema: config.db_schema,
      columns: options.columns,
      where: options.where,
      batch_rows: options.batch_rows,
      batch_bytes: options.batch_bytes,
      keep_raw_copy: hints?.rawPassThrough,
    });
  },
  resumableLoads: true,
  createSink(config, asset, options, hints) {
    if (asset.asset_type !== 'table') throw new SynqxError('CONFIG_INVALID', `asset "${asset.name}" is a ${asset.asset_type}; only tables can be destinations`);
    return createPostgresSink(pgClientConfig(config), {
      table: tableOf(asset),
      schema: config.db_schema,
      write_mode: options.write_mode,
      upsert_keys: options.upsert_keys,
      create_if_missing: options.create_if_missing,
      commit_every_rows: options.commit_every_rows,
      ...(hints?.resumeAfterRows ? { resume_after_rows: hints.resumeAfterRows } : {}),
    }, hints?.onChunkCommitted ? { onChunkCommitted: hints.onChunkCommitted } : undefined);
  },
};

// Assets made before fully_qualified_name was filled in fall back to their bare name (db_schema applies).
function tableOf(asset: AssetTarget): string {
  return asset.fully_qualified_name ?? asset.name;
}
