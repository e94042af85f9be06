import pg from 'pg';
import { SynqxError } from '../../core/errors.js';
import { scrubSecrets, type DiscoveredAsset, type DiscoverOptions } from '../connector.js';
import { describeTarget, pgClientConfig, postgresSecretValues } from './connect.js';
import type { PostgresConfig } from './spec.js';
import { errorText } from './test-connection.js';

// Partitions are left out (their parent is listed); materialized views count as views.
const RELATIONS_SQL = `
SELECT c.oid::int8 AS oid, c.relname AS name, n.nspname AS schema,
       CASE WHEN c.relkind IN ('r', 'p') THEN 'table' ELSE 'view' END AS type,
       CASE WHEN c.reltuples >= 0 THEN c.reltuples::int8
            ELSE (SELECT s.n_live_tup FROM pg_catalog.pg_stat_all_tables s WHERE s.relid = c.oid) END AS row_count,
       CASE WHEN c.relkind IN ('r', 'p', 'm') THEN pg_catalog.pg_total_relation_size(c.oid) END AS size_bytes
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1
  AND c.relkind = ANY ($2::"char"[])
  AND NOT c.relispartition
ORDER BY c.relname`;

const COLUMNS_SQL = `
SELECT a.attrelid::int8 AS oid, a.attname AS name, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,
       NOT a.attnotnull AS nullable, pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS "default"
FROM pg_catalog.pg_attribute a
LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = ANY ($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum`;

const PRIMARY_KEYS_SQL = `
SELECT con.conrelid::int8 AS oid, a.attname AS name
FROM pg_catalog.pg_constraint con
CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, pos)
JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
WHERE con.contype = 'p' AND con.conrelid = ANY ($1::oid[])
ORDER BY con.conrelid, k.pos`;

interface RelationRow {
  oid: number;
  name: string;
  schema: string;
  type: 'table' | 'view';
  row_count: string | number | null;
  size_bytes: string | number | null;
}

const num = (v: string | number | null): number | null => (v === null ? null : Number(v));

/** Lists one schema's tables (and views when asked) with columns, primary keys and size estimates. */
export async function discoverPostgres(config: PostgresConfig, opts: DiscoverOptions = {}): Promise<DiscoveredAsset[]> {
  const schema = opts.schema ?? config.db_schema;
  const kinds = opts.includeViews ? ['r', 'p', 'v', 'm'] : ['r', 'p'];
  const client = new pg.Client(pgClientConfig(config));
  client.on('error', () => {});
  const onAbort = () => void client.end().catch(() => {});
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await client.connect();
    const rels = (await client.query<RelationRow>(RELATIONS_SQL, [schema, kinds])).rows;
    const oids = rels.map((r) => Number(r.oid));
    const cols = (await client.query<{ oid: string; name: string; type: string; nullable: boolean; default: string | null }>(COLUMNS_SQL, [oids])).rows;
    const pks = (await client.query<{ oid: string; name: string }>(PRIMARY_KEYS_SQL, [oids])).rows;
    const columnsOf = groupBy(cols, (c) => ({ name: c.name, type: c.type, nullable: c.nullable, ...(c.default !== null ? { default: c.default } : {}) }));
    const keysOf = groupBy(pks, (p) => p.name);
    return rels.map((r) => ({
      name: r.name,
      type: r.type,
      schema: r.schema,
      row_count: num(r.row_count),
      size_bytes: num(r.size_bytes),
      columns: columnsOf.get(Number(r.oid)) ?? [],
      primary_key: keysOf.get(Number(r.oid)) ?? [],
    }));
  } catch (err) {
    const message = scrubSecrets(`discovery on ${describeTarget(config)} failed: ${errorText(err)}`, postgresSecretValues(config));
    throw new SynqxError('CONNECTION_FAILED', message, { retryable: true, details: { code: (err as { code?: unknown }).code } });
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    await client.end().catch(() => {});
  }
}

function groupBy<R extends { oid: string | number }, T>(rows: R[], map: (r: R) => T): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const r of rows) {
    const oid = Number(r.oid);
    let list = out.get(oid);
    if (!list) out.set(oid, (list = []));
    list.push(map(r));
  }
  return out;
}
