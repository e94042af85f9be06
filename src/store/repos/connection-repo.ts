import type { Queryable } from '../db.js';

export type HealthStatus = 'unknown' | 'healthy' | 'unhealthy';

export interface ConnectionRow {
  id: number;
  name: string;
  connector_type: string;
  description: string | null;
  tags: unknown;
  /** The vault envelope; never plaintext. */
  config_encrypted: string;
  key_id: string;
  health_status: HealthStatus;
  last_test_at: Date | null;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
}

export interface NewConnection {
  name: string;
  connector_type: string;
  description: string | null;
  tags: unknown;
  config_encrypted: string;
  key_id: string;
}

export type ConnectionChanges = Partial<Pick<NewConnection, 'name' | 'description' | 'tags' | 'config_encrypted' | 'key_id'>>;

export interface Page {
  limit: number;
  offset: number;
}

const COLUMNS = 'id, name, connector_type, description, tags, config_encrypted, key_id, health_status, last_test_at, created_at, updated_at, deleted_at';

/** Postgres and PGlite both report a unique index violation as SQLSTATE 23505. */
export function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: unknown })?.code === '23505';
}

export class ConnectionRepo {
  constructor(private readonly q: Queryable) {}

  async insert(c: NewConnection): Promise<ConnectionRow> {
    const r = await this.q.query<ConnectionRow>(
      `INSERT INTO connections (name, connector_type, description, tags, config_encrypted, key_id)
       VALUES ($1, $2, $3, $4::jsonb, $5, $6) RETURNING ${COLUMNS}`,
      [c.name, c.connector_type, c.description, JSON.stringify(c.tags ?? {}), c.config_encrypted, c.key_id],
    );
    return r.rows[0]!;
  }

  /** A connection that is not soft-deleted; `forUpdate` locks it until the transaction ends. */
  async findLive(id: number, forUpdate = false): Promise<ConnectionRow | undefined> {
    const r = await this.q.query<ConnectionRow>(
      `SELECT ${COLUMNS} FROM connections WHERE id = $1 AND deleted_at IS NULL${forUpdate ? ' FOR UPDATE' : ''}`,
      [id],
    );
    return r.rows[0];
  }

  async nameTaken(name: string, exceptId?: number): Promise<boolean> {
    const r = await this.q.query(
      'SELECT 1 FROM connections WHERE lower(name) = lower($1) AND deleted_at IS NULL AND id <> $2 LIMIT 1',
      [name, exceptId ?? 0],
    );
    return r.rows.length > 0;
  }

  /** Newest first. */
  async list(page: Page, filter: { connectorType?: string } = {}): Promise<{ rows: ConnectionRow[]; total: number }> {
    const where = filter.connectorType ? 'deleted_at IS NULL AND connector_type = $1' : 'deleted_at IS NULL';
    const args: unknown[] = filter.connectorType ? [filter.connectorType] : [];
    const n = args.length;
    const rows = await this.q.query<ConnectionRow>(
      `SELECT ${COLUMNS} FROM connections WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT $${n + 1} OFFSET $${n + 2}`,
      [...args, page.limit, page.offset],
    );
    const total = await this.q.query<{ n: number }>(`SELECT count(*)::int8 AS n FROM connections WHERE ${where}`, args);
    return { rows: rows.rows, total: Number(total.rows[0]?.n ?? 0) };
  }

  async update(id: number, changes: ConnectionChanges): Promise<ConnectionRow | undefined> {
    const sets: string[] = [];
    const args: unknown[] = [];
    const set = (column: string, value: unknown, cast = '') => {
      args.push(value);
      sets.push(`${column} = $${args.length}${cast}`);
    };
    if (changes.name !== undefined) set('name', changes.name);
    if (changes.description !== undefined) set('description', changes.description);
    if (changes.tags !== undefined) set('tags', JSON.stringify(changes.tags), '::jsonb');
    if (changes.config_encrypted !== undefined) set('config_encrypted', changes.config_encrypted);
    if (changes.key_id !== undefined) set('key_id', changes.key_id);
    args.push(id);
    const r = await this.q.query<ConnectionRow>(
      `UPDATE connections SET ${[...sets, 'updated_at = now()'].join(', ')}
       WHERE id = $${args.length} AND deleted_at IS NULL RETURNING ${COLUMNS}`,
      args,
    );
    return r.rows[0];
  }

  async softDelete(id: number): Promise<boolean> {
    const r = await this.q.query('UPDATE connections SET deleted_at = now(), updated_at = now() WHERE id = $1 AND deleted_at IS NULL', [id]);
    return r.rowCount > 0;
  }

  async setHealth(id: number, status: HealthStatus): Promise<void> {
    await this.q.query('UPDATE connections SET health_status = $2, last_test_at = now() WHERE id = $1', [id, status]);
  }

  /**
   * For key rotation: blocks concurrent writers of connections (readers go on) until the
   * transaction ends, so no row sealed with the old key can slip in behind the re-seal.
   */
  async lockForReseal(): Promise<void> {
    await this.q.query('LOCK TABLE connections IN EXCLUSIVE MODE');
  }

  /** Every row, soft-deleted ones included: rotation must leave no ciphertext under a retired key. */
  async allSealed(): Promise<{ id: number; config_encrypted: string; key_id: string }[]> {
    const r = await this.q.query<{ id: number; config_encrypted: string; key_id: string }>(
      'SELECT id, config_encrypted, key_id FROM connections ORDER BY id',
    );
    return r.rows;
  }

  async reseal(id: number, envelope: string, keyId: string): Promise<void> {
    await this.q.query('UPDATE connections SET config_encrypted = $2, key_id = $3 WHERE id = $1', [id, envelope, keyId]);
  }
}
