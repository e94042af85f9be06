import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { scrubSecrets, type TestResult } from '../connector.js';
import { DEFAULT_CONNECT_TIMEOUT_SECONDS, describeTarget, pgClientConfig, postgresSecretValues } from './connect.js';
import type { PostgresConfig } from './spec.js';

const PROBE_SQL = `SELECT current_setting('server_version') AS server_version,
       current_database() AS database,
       current_user AS "user",
       EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1) AS schema_exists`;

interface ProbeRow {
  server_version: string;
  database: string;
  user: string;
  schema_exists: boolean;
}

/**
 * Connects, runs one catalog query, disconnects. Failure is an answer, not an exception: the
 * server's (or the socket's) error text with every secret of the config scrubbed out.
 */
export async function testPostgresConnection(config: PostgresConfig, opts: { signal?: AbortSignal } = {}): Promise<TestResult> {
  const timeoutMs = (config.connect_timeout_seconds ?? DEFAULT_CONNECT_TIMEOUT_SECONDS) * 1000;
  const client = new pg.Client({ ...pgClientConfig(config), query_timeout: timeoutMs });
  client.on('error', () => {}); // a late socket error after end() must not crash the process
  const onAbort = () => void client.end().catch(() => {});
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const target = describeTarget(config);
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) * 10) / 10;
  try {
    await client.connect();
    const r = await client.query<ProbeRow>(PROBE_SQL, [config.db_schema]);
    const latency = elapsed();
    const row = r.rows[0]!;
    const schemaNote = row.schema_exists ? '' : `; schema "${config.db_schema}" does not exist`;
    return {
      success: true,
      message: `connected to ${target} as ${row.user} (PostgreSQL ${row.server_version})${schemaNote}`,
      latency_ms: latency,
      details: {
        target,
        server_version: row.server_version,
        database: row.database,
        user: row.user,
        schema: config.db_schema,
        schema_exists: row.schema_exists,
      },
    };
  } catch (err) {
    const latency = elapsed();
    const secrets = postgresSecretValues(config);
    const code = (err as { code?: unknown }).code;
    const details: Record<string, unknown> = { target };
    if (typeof code === 'string') details.code = code;
    return { success: false, message: scrubSecrets(`connection to ${target} failed: ${errorText(err)}`, secrets), latency_ms: latency, details };
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    await client.end().catch(() => {});
  }
}

/** Node reports a refused dual-stack connect as an AggregateError with an empty message. */
export function errorText(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) {
    return [...new Set(err.errors.map((e) => errorText(e)))].join('; ');
  }
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
