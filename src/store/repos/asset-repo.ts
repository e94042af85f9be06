import type { Queryable } from '../db.js';
import type { Page } from './connection-repo.js';

export type AssetType = 'table' | 'view' | 'query';

export interface NewAsset {
  connection_id: number;
  name: string;
  asset_type: AssetType;
  fully_qualified_name: string | null;
  is_source: boolean;
  is_destination: boolean;
  is_incremental_capable: boolean;
  config: Record<string, unknown>;
  schema_metadata: unknown;
  description: string | null;
}

/** A stored asset: what was inserted plus its id and timestamps. */
export interface AssetRow extends NewAsset {
  id: number;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
}

export type AssetChanges = Partial<Omit<NewAsset, 'connection_id'>>;

/** A live asset of a live connection, with what a pipeline needs to know about its connection. */
export interface UsableAsset extends AssetRow {
  connector_type: string;
}

const COLUMNS =
  'id, connection_id, name, asset_type, fully_qualified_name, is_source, is_destination, is_incremental_capable, config, schema_metadata, description, created_at, updated_at, deleted_at';
const JSON_COLUMNS = new Set(['config', 'schema_metadata']);
const UPDATABLE = ['name', 'asset_type', 'fully_qualified_name', 'is_source', 'is_destination', 'is_incremental_capable', 'config', 'schema_metadata', 'description'] as const;

const jsonParam = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));

export class AssetRepo {
  constructor(private readonly q: Queryable) {}

  async insert(a: NewAsset): Promise<AssetRow> {
    const r = await this.q.query<AssetRow>(
      `INSERT INTO assets (connection_id, name, asset_type, fully_qualified_name, is_source, is_destination,
                           is_incremental_capable, config, schema_metadata, description)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb, $10) RETURNING ${COLUMNS}`,
      [
        a.connection_id,
        a.name,
        a.asset_type,
        a.fully_qualified_name,
        a.is_source,
        a.is_destination,
        a.is_incremental_capable,
        JSON.stringify(a.config),
        jsonParam(a.schema_metadata),
        a.description,
      ],
    );
    return r.rows[0]!;
  }

  /** A live asset under this connection; an asset of another connection is not found. */
  async findLive(connectionId: number, id: number): Promise<AssetRow | undefined> {
    const r = await this.q.query<AssetRow>(
      `SELECT ${COLUMNS} FROM assets WHERE id = $1 AND connection_id = $2 AND deleted_at IS NULL`,
      [id, connectionId],
    );
    return r.rows[0];
  }

  async nameTaken(connectionId: number, name: string, exceptId?: number): Promise<boolean> {
    const r = await this.q.query(
      'SELECT 1 FROM assets WHERE connection_id = $1 AND lower(name) = lower($2) AND deleted_at IS NULL AND id <> $3 LIMIT 1',
      [connectionId, name, exceptId ?? 0],
    );
    return r.rows.length > 0;
  }

  /** Oldest first: assets read like a catalog, in the order they were registered. */
  async list(connectionId: number, page: Page): Promise<{ rows: AssetRow[]; total: number }> {
    const rows = await this.q.query<AssetRow>(
      `SELECT ${COLUMNS} FROM assets WHERE connection_id = $1 AND deleted_at IS NULL ORDER BY id LIMIT $2 OFFSET $3`,
      [connectionId, page.limit, page.offset],
    );
    const total = await this.q.query<{ n: number }>('SELECT count(*)::int8 AS n FROM assets WHERE connection_id = $1 AND deleted_at IS NULL', [
      connectionId,
    ]);
    return { rows: rows.rows, total: Number(total.rows[0]?.n ?? 0) };
  }

  /** Lower-cased names and fully qualified names of a connection's live assets. */
  async liveKeys(connectionId: number): Promise<{ names: Set<string>; fqns: Set<string> }> {
    const r = await this.q.query<{ name: string; fully_qualified_name: string | null }>(
      'SELECT name, fully_qualified_name FROM assets WHERE connection_id = $1 AND deleted_at IS NULL',
      [connectionId],
    );
    return {
      names: new Set(r.rows.map((x) => x.name.toLowerCase())),
      fqns: new Set(r.rows.flatMap((x) => (x.fully_qualified_name ? [x.fully_qualified_name.toLowerCase()] : []))),
    };
  }

  async update(connectionId: number, id: number, changes: AssetChanges): Promise<AssetRow | undefined> {
    const sets: string[] = [];
    const args: unknown[] = [];
    for (const column of UPDATABLE) {
      const value = changes[column];
      if (value === undefined) continue;
      const json = JSON_COLUMNS.has(column);
      args.push(json ? jsonParam(value) : value);
      sets.push(`${column} = $${args.length}${json ? '::jsonb' : ''}`);
    }
    args.push(id, connectionId);
    const r = await this.q.query<AssetRow>(
      `UPDATE assets SET ${[...sets, 'updated_at = now()'].join(', ')}
       WHERE id = $${args.length - 1} AND connection_id = $${args.length} AND deleted_at IS NULL RETURNING ${COLUMNS}`,
      args,
    );
    return r.rows[0];
  }

  async softDelete(connectionId: number, id: number): Promise<boolean> {
    const r = await this.q.query(
      'UPDATE assets SET deleted_at = now(), updated_at = now() WHERE id = $1 AND connection_id = $2 AND deleted_at IS NULL',
      [id, connectionId],
    );
    return r.rowCount > 0;
  }

  async softDeleteByConnection(connectionId: number): Promise<number> {
    const r = await this.q.query(
      'UPDATE assets SET deleted_at = now(), updated_at = now() WHERE connection_id = $1 AND deleted_at IS NULL',
      [connectionId],
    );
    return r.rowCount;
  }

  /** For pipeline validation: which of these ids are live assets of live connections. */
  async findUsable(ids: readonly number[]): Promise<UsableAsset[]> {
    if (ids.length === 0) return [];
    const cols = COLUMNS.split(', ').map((c) => `a.${c}`).join(', ');
    const r = await this.q.query<UsableAsset>(
      `SELECT ${cols}, c.connector_type FROM assets a JOIN connections c ON c.id = a.connection_id
       WHERE a.id = ANY ($1::int8[]) AND a.deleted_at IS NULL AND c.deleted_at IS NULL ORDER BY a.id`,
      [[...ids]],
    );
    return r.rows;
  }
}
