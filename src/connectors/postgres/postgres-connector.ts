import type { Connector } from '../connector.js';
import { postgresSecretValues } from './connect.js';
import { discoverPostgres } from './discover.js';
import { POSTGRES_SECRET_FIELDS, postgresAssetOptionsSchema, postgresConfigSchema, type PostgresAssetOptions, type PostgresConfig } from './spec.js';
import { testPostgresConnection } from './test-connection.js';

/** PostgreSQL: the control-plane half (spec, test, discover). The data plane adds source/sink here. */
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
};
