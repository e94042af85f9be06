import type { VaultKeyRecord, VaultKeyStore } from '../../platform/secret-box.js';
import type { Db, Queryable } from '../db.js';

/** Any fixed number works; every process that creates or rotates vault keys takes this lock first. */
const VAULT_LOCK_KEY = 7_351_998_002;

interface Row {
  key_id: string;
  kdf: string;
  salt: Uint8Array;
  check_value: string;
  is_active: boolean;
}

// pg returns bytea as Buffer, PGlite as Uint8Array; callers get a Buffer either way.
const toRecord = (r: Row): VaultKeyRecord => ({ ...r, salt: Buffer.from(r.salt) });

export class VaultKeyRepo {
  constructor(private readonly q: Queryable) {}

  /** Serializes key creation and rotation; only valid inside a transaction. */
  async lock(): Promise<void> {
    await this.q.query('SELECT pg_advisory_xact_lock($1)', [VAULT_LOCK_KEY]);
  }

  async get(keyId: string): Promise<VaultKeyRecord | undefined> {
    const r = await this.q.query<Row>('SELECT key_id, kdf, salt, check_value, is_active FROM vault_keys WHERE key_id = $1', [keyId]);
    return r.rows[0] ? toRecord(r.rows[0]) : undefined;
  }

  async active(): Promise<VaultKeyRecord | undefined> {
    const r = await this.q.query<Row>(
      'SELECT key_id, kdf, salt, check_value, is_active FROM vault_keys WHERE is_active ORDER BY created_at DESC, key_id DESC LIMIT 1',
    );
    return r.rows[0] ? toRecord(r.rows[0]) : undefined;
  }

  async list(): Promise<VaultKeyRecord[]> {
    const r = await this.q.query<Row>('SELECT key_id, kdf, salt, check_value, is_active FROM vault_keys ORDER BY created_at, key_id');
    return r.rows.map(toRecord);
  }

  async insert(k: VaultKeyRecord): Promise<void> {
    await this.q.query('INSERT INTO vault_keys (key_id, kdf, salt, check_value, is_active) VALUES ($1, $2, $3, $4, $5)', [
      k.key_id,
      k.kdf,
      Buffer.from(k.salt),
      k.check_value,
      k.is_active,
    ]);
  }

  async deactivateAllExcept(keyId: string): Promise<number> {
    const r = await this.q.query('UPDATE vault_keys SET is_active = false WHERE is_active AND key_id <> $1', [keyId]);
    return r.rowCount;
  }
}

/** The SecretBox's view of the store. */
export function vaultKeyStore(db: Db): VaultKeyStore {
  const repo = new VaultKeyRepo(db);
  return {
    get: (id) => repo.get(id),
    active: () => repo.active(),
    ensureActive: (make) =>
      db.transaction(async (tx) => {
        const r = new VaultKeyRepo(tx);
        await r.lock();
        const existing = await r.active();
        if (existing) return existing;
        const created = await make();
        await r.insert(created);
        return created;
      }),
  };
}
