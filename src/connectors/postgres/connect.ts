import type pg from 'pg';
import { isDsnConfig, type PostgresConfig, type SslMode } from './spec.js';

export const DEFAULT_CONNECT_TIMEOUT_SECONDS = 10;
export const APPLICATION_NAME = 'synqx';

export interface ConnectOptions {
  applicationName?: string;
  /** Overrides the config's `connect_timeout_seconds`. */
  connectTimeoutSeconds?: number;
}

/**
 * node-postgres cannot fall back from TLS to plain text the way libpq's `prefer`/`allow` do, so
 * those (and `disable`) connect in plain text; `require`/`no-verify` encrypt without checking the
 * certificate; `verify-ca`/`verify-full` check it.
 */
function sslFor(mode: SslMode | undefined): pg.ClientConfig['ssl'] {
  switch (mode) {
    case undefined:
      return undefined;
    case 'disable':
    case 'allow':
    case 'prefer':
      return false;
    case 'require':
    case 'no-verify':
      return { rejectUnauthorized: false };
    case 'verify-ca':
    case 'verify-full':
      return { rejectUnauthorized: true };
  }
}

/** The pg client config for a parsed connection config. */
export function pgClientConfig(config: PostgresConfig, opts: ConnectOptions = {}): pg.ClientConfig {
  const seconds = opts.connectTimeoutSeconds ?? config.connect_timeout_seconds ?? DEFAULT_CONNECT_TIMEOUT_SECONDS;
  const out: pg.ClientConfig = {
    application_name: opts.applicationName ?? APPLICATION_NAME,
    connectionTimeoutMillis: seconds * 1000,
  };
  if (isDsnConfig(config)) {
    out.connectionString = config.dsn;
  } else {
    out.host = config.host;
    out.port = config.port;
    out.database = config.database;
    out.user = config.username;
    // A missing password would make pg fall back to PGPASSWORD or ~/.pgpass of *this* process;
    // a connection must never borrow our own credentials, so answer an explicit empty one.
    out.password = config.password ? config.password : () => '';
  }
  const ssl = sslFor(config.sslmode);
  if (ssl !== undefined) out.ssl = ssl;
  return out;
}

/** `host:port/database` for messages: never credentials. */
export function describeTarget(config: PostgresConfig): string {
  if (!isDsnConfig(config)) return `${config.host}:${config.port}/${config.database}`;
  try {
    const u = new URL(config.dsn);
    return `${u.hostname || 'localhost'}:${u.port || '5432'}${u.pathname || '/'}`;
  } catch {
    return 'the DSN target';
  }
}

/** Every secret string a config holds, including the password inside a DSN (raw and decoded). */
export function postgresSecretValues(config: PostgresConfig): string[] {
  if (!isDsnConfig(config)) return config.password ? [config.password] : [];
  const out = [config.dsn];
  try {
    const u = new URL(config.dsn);
    if (u.password) out.push(u.password, safeDecode(u.password));
    const qp = u.searchParams.get('password');
    if (qp) out.push(qp);
  } catch {
    /* unparseable DSN: the whole string is already listed */
  }
  return out;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
