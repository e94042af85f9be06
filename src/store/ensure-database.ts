import pg from 'pg';
import { quoteIdent } from '../core/sql.js';

/**
 * Creates the database named in `url` when it does not exist yet, connecting to the server's
 * maintenance database to do so. Two processes racing here is fine: the loser sees 42P04.
 */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!name) return;
  const probe = new pg.Client({ connectionString: url });
  try {
    await probe.connect();
    return;
  } catch (err) {
    if ((err as { code?: string }).code !== '3D000') throw err;
  } finally {
    await probe.end().catch(() => {});
  }
  for (const maintenance of ['postgres', 'template1']) {
    const adminUrl = new URL(url);
    adminUrl.pathname = `/${maintenance}`;
    const admin = new pg.Client({ connectionString: adminUrl.toString() });
    try {
      await admin.connect();
    } catch {
      await admin.end().catch(() => {});
      continue;
    }
    try {
      await admin.query(`CREATE DATABASE ${quoteIdent(name)}`);
    } catch (err) {
      if ((err as { code?: string }).code !== '42P04') throw err;
    } finally {
      await admin.end().catch(() => {});
    }
    return;
  }
  throw new Error(`database ${name} does not exist and no maintenance database was reachable to create it`);
}
