import { SynqxError, isSynqxError } from '../../core/errors.js';

/** Which end of a copy failed: decides SOURCE_ERROR vs DESTINATION_ERROR. */
export type PgSide = 'source' | 'destination';

/** SQLSTATEs worth retrying: the same statement can succeed later. */
const RETRYABLE_SQLSTATES = new Set(['40001', '40P01', '57P01', '57P02', '57P03', '53300', '55P03']);
const RETRYABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

interface PgLikeError {
  code?: unknown;
  message?: unknown;
  detail?: unknown;
  table?: unknown;
  column?: unknown;
  constraint?: unknown;
  where?: unknown;
}

/** Removes passwords and the password part of connection URLs from a message. */
export function scrubSecrets(message: string, secrets: ReadonlyArray<string | undefined> = []): string {
  let out = message.replace(/(\/\/[^:/@\s]*):[^@\s]*@/g, '$1:***@');
  for (const s of secrets) {
    if (s && s.length >= 3) out = out.split(s).join('***');
  }
  return out;
}

export function cancelledError(reason?: unknown): SynqxError {
  const why = reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : undefined;
  return new SynqxError('CANCELLED', why ? `cancelled: ${why}` : 'cancelled', { cause: reason });
}

/**
 * Maps a pg/Node error to a SynqxError: 22xxx/23xxx (and 21000, a key twice in one upsert) are bad data (DATA_ERROR, not retryable);
 * connection loss (08xxx, socket errors), serialization failures and deadlocks are retryable
 * SOURCE_ERROR/DESTINATION_ERROR; anything else is a non-retryable error of that side.
 */
export function toPgSynqxError(err: unknown, side: PgSide, action: string, secrets: ReadonlyArray<string | undefined> = []): SynqxError {
  if (isSynqxError(err)) return err;
  const e = (err ?? {}) as PgLikeError;
  const raw = typeof e.message === 'string' ? e.message : String(err);
  const message = scrubSecrets(`${action}: ${raw}`, secrets);
  const code = typeof e.code === 'string' ? e.code : undefined;
  const sideCode = side === 'source' ? 'SOURCE_ERROR' : 'DESTINATION_ERROR';
  if (code && /^[0-9A-Z]{5}$/.test(code)) {
    const details = {
      sqlstate: code,
      ...(typeof e.table === 'string' ? { table: e.table } : {}),
      ...(typeof e.column === 'string' ? { column: e.column } : {}),
      ...(typeof e.constraint === 'string' ? { constraint: e.constraint } : {}),
      ...(typeof e.where === 'string' ? { where: scrubSecrets(e.where, secrets).slice(0, 300) } : {}),
      ...(typeof e.detail === 'string' ? { detail: scrubSecrets(e.detail, secrets).slice(0, 500) } : {}),
    };
    const cls = code.slice(0, 2);
    if (cls === '22' || cls === '23' || code === '21000') return new SynqxError('DATA_ERROR', message, { domain: 'user', retryable: false, details, cause: err });
    const retryable = cls === '08' || RETRYABLE_SQLSTATES.has(code);
    return new SynqxError(sideCode, message, { retryable, details, cause: err });
  }
  const retryable =
    (code !== undefined && RETRYABLE_NODE_CODES.has(code)) || /Connection terminated|connection timeout|Connection ended/i.test(raw);
  return new SynqxError(sideCode, message, { retryable, details: code ? { code } : undefined, cause: err });
}

/** Secret strings of a client config (a string password, the password inside a connection URL). */
export function secretsOf(config: { password?: unknown; connectionString?: string }): string[] {
  const out: string[] = [];
  if (typeof config.password === 'string' && config.password) out.push(config.password);
  if (config.connectionString) {
    try {
      const u = new URL(config.connectionString);
      if (u.password) out.push(u.password, decodeURIComponent(u.password));
      const qp = u.searchParams.get('password');
      if (qp) out.push(qp);
    } catch {
      // not a URL (a key=value string): the URL pattern scrub still applies
    }
  }
  return out;
}
