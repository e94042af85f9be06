import pg from 'pg';
import pgCopy from 'pg-copy-streams';

/** `base` (a server URL) pointing at database `name`. */
export function databaseUrl(base: string, name: string): string {
  const u = new URL(base);
  u.pathname = `/${name}`;
  return u.toString();
}

/** One client for `fn`, always closed. */
export async function onServer<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** A table's size as binary COPY (what every case moves), for MB/s. */
export async function binaryCopyBytes(url: string, qualified: string): Promise<number> {
  return onServer(url, async (c) => {
    let bytes = 0;
    for await (const chunk of c.query(pgCopy.to(`COPY ${qualified} TO STDOUT (FORMAT binary)`)) as AsyncIterable<Buffer>) bytes += chunk.length;
    return bytes;
  });
}

/**
 * Writes the server's dirty pages now (needs superuser or pg_checkpoint): run untimed before every case,
 * so no case pays for the writes of the one before it, or for the freshly generated source table.
 * Returns false when the role may not checkpoint (the benchmark then runs without it).
 */
export async function checkpoint(url: string): Promise<boolean> {
  try {
    await onServer(url, (c) => c.query('CHECKPOINT'));
    return true;
  } catch {
    return false;
  }
}
