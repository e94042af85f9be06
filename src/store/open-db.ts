import { join } from 'node:path';
import type { AppConfig } from '../platform/config.js';
import type { Db } from './db.js';
import { ensureDatabase } from './ensure-database.js';
import { migrate } from './migrate.js';
import { PgDb } from './pg-db.js';
import { PgliteDb } from './pglite-db.js';

/** Opens the metadata store named by the config (Postgres, or embedded PGlite) and brings its schema up to date. */
export async function openMetadataDb(config: Pick<AppConfig, 'databaseUrl' | 'home'>): Promise<Db> {
  let db: Db;
  if (config.databaseUrl) {
    await ensureDatabase(config.databaseUrl);
    db = new PgDb({ connectionString: config.databaseUrl, applicationName: 'synqx-metadata' });
  } else {
    db = await PgliteDb.open(join(config.home, 'metadata'));
  }
  try {
    await migrate(db);
  } catch (err) {
    await db.close().catch(() => {});
    throw err;
  }
  return db;
}
