import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import type { Db, Queryable, QueryResult } from './db.js';
import { INT8_OID } from './db.js';

/**
 * The embedded metadata store for a laptop: real Postgres compiled to WASM, same SQL, same
 * migrations. One process owns the data directory at a time.
 */
export class PgliteDb implements Db {
  readonly kind = 'pglite' as const;

  private constructor(private readonly pg: PGlite) {}

  /** `dataDir` undefined keeps everything in memory (tests). */
  static async open(dataDir?: string): Promise<PgliteDb> {
    if (dataDir) mkdirSync(dataDir, { recursive: true });
    const pg = await PGlite.create(dataDir, { parsers: { [INT8_OID]: (v: string) => Number(v) } });
    return new PgliteDb(pg);
  }

  async query<T>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>> {
    const r = params && params.length > 0 ? await this.pg.query<T>(sql, params as unknown[]) : await this.pg.query<T>(sql);
    return { rows: r.rows, rowCount: countOf(r) };
  }

  async exec(sql: string): Promise<void> {
    await this.pg.exec(sql);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.pg.transaction(async (t) => {
      const tx: Queryable = {
        async query<R>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
          const r = await t.query<R>(sql, (params ?? []) as unknown[]);
          return { rows: r.rows, rowCount: countOf(r) };
        },
        async exec(sql: string): Promise<void> {
          await t.exec(sql);
        },
      };
      return fn(tx);
    });
  }

  async ping(): Promise<void> {
    await this.pg.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.pg.close();
  }
}

function countOf(r: { rows: unknown[]; affectedRows?: number }): number {
  return r.affectedRows && r.affectedRows > 0 ? r.affectedRows : r.rows.length;
}
