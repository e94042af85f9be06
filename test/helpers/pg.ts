import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The real Postgres of this machine (and of CI). Override with TEST_PG_URL. */
export const TEST_PG_URL = process.env.TEST_PG_URL ?? 'postgresql://root@127.0.0.1:5432/test';

export function urlForDatabase(name: string, base = TEST_PG_URL): string {
  const u = new URL(base);
  u.pathname = `/${name}`;
  return u.toString();
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A fresh, empty database per test file so files run in parallel without sharing state. */
export async function createTestDatabase(prefix = 'synqx_t'): Promise<TestDatabase> {
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_PG_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: urlForDatabase(name),
    async drop() {
      const c = new pg.Client({ connectionString: TEST_PG_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** Runs SQL against a database URL on a short-lived client. */
export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** A `postgresql` connection config for `database` on the test server (trust auth: no password needed). */
export function pgConnectionConfig(database: string): { host: string; port: number; database: string; username: string } {
  const u = new URL(TEST_PG_URL);
  return { host: u.hostname, port: Number(u.port || 5432), database, username: decodeURIComponent(u.username) };
}
