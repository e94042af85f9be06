import type { Db } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';
import { PgDb } from '../../src/store/pg-db.js';
import { PgliteDb } from '../../src/store/pglite-db.js';
import { createTestDatabase } from './pg.js';

export type StoreKind = 'postgres' | 'pglite';
export const STORE_KINDS: StoreKind[] = ['postgres', 'pglite'];

export interface TestStore {
  kind: StoreKind;
  db: Db;
  /** Only for the postgres kind: the database URL (to inspect rows or dump it). */
  url?: string;
  close(): Promise<void>;
}

/** A migrated, empty metadata store of the given kind: a fresh Postgres database or an in-memory PGlite. */
export async function openTestStore(kind: StoreKind): Promise<TestStore> {
  if (kind === 'pglite') {
    const db = await PgliteDb.open();
    await migrate(db);
    return { kind, db, close: () => db.close() };
  }
  const tdb = await createTestDatabase();
  const db = new PgDb({ connectionString: tdb.url, max: 5 });
  await migrate(db);
  return {
    kind,
    db,
    url: tdb.url,
    async close() {
      await db.close().catch(() => {}); // a test may have closed it already
      await tdb.drop();
    },
  };
}
