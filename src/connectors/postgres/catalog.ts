import type pg from 'pg';
import { quoteQualified } from '../../core/sql.js';
import type { PgColumn, PgTypeInfo } from './type-map.js';

/** What the catalog says about a table: columns with exact types, primary key, planner estimate. */
export interface PgTableInfo {
  oid: number;
  schema: string;
  name: string;
  columns: PgColumn[];
  primaryKey: string[];
  /** pg_class.reltuples; undefined when the table was never analyzed. */
  estimatedRows: number | undefined;
}

interface RawColumn {
  name: string;
  typeOid: number;
  typmod: number;
  formatType: string;
  notNull: boolean;
  pkPosition?: number;
}

interface TypeRow extends PgTypeInfo {
  baseFormat: string | null;
}

/** Reads a table (or view) by name; undefined when it does not exist. */
export async function readTable(client: pg.ClientBase, schema: string | undefined, name: string): Promise<PgTableInfo | undefined> {
  const rel = await client.query<{ oid: string; nspname: string; relname: string; reltuples: number }>(
    `SELECT c.oid::text AS oid, n.nspname, c.relname, c.reltuples::float8 AS reltuples
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.oid = to_regclass($1)`,
    [quoteQualified(schema, name)],
  );
  const r = rel.rows[0];
  if (!r) return undefined;
  const cols = await client.query<{ attname: string; atttypid: string; atttypmod: number; attnotnull: boolean; ft: string; pk: number | null }>(
    `SELECT a.attname, a.atttypid::text AS atttypid, a.atttypmod, a.attnotnull, format_type(a.atttypid, a.atttypmod) AS ft,
            (SELECT array_position(i.indkey::int2[], a.attnum) - array_lower(i.indkey::int2[], 1) + 1 FROM pg_index i
              WHERE i.indrelid = a.attrelid AND i.indisprimary) AS pk
       FROM pg_attribute a
      WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attnum`,
    [r.oid],
  );
  const raw: RawColumn[] = cols.rows.map((c) => ({
    name: c.attname,
    typeOid: Number(c.atttypid),
    typmod: c.atttypmod,
    formatType: c.ft,
    notNull: c.attnotnull,
    pkPosition: c.pk ?? undefined,
  }));
  const columns = await resolveColumns(client, raw);
  const primaryKey = columns
    .filter((c) => c.pkPosition !== undefined)
    .sort((a, b) => a.pkPosition! - b.pkPosition!)
    .map((c) => c.name);
  return {
    oid: Number(r.oid),
    schema: r.nspname,
    name: r.relname,
    columns,
    primaryKey,
    estimatedRows: r.reltuples >= 0 ? Math.round(r.reltuples) : undefined,
  };
}

/**
 * Column names and exact types of a custom query, from the row description of `LIMIT 0` (nothing
 * is read). Duplicate or unnamed columns are reported by the caller.
 */
export async function describeQuery(client: pg.ClientBase, sql: string): Promise<PgColumn[]> {
  const res = await client.query({ text: `SELECT * FROM (${sql}) AS q LIMIT 0` });
  if (res.fields.length === 0) return [];
  const oids = res.fields.map((f) => f.dataTypeID);
  const mods = res.fields.map((f) => f.dataTypeModifier);
  const ft = await client.query<{ ft: string }>(
    `SELECT format_type(o, m) AS ft FROM unnest($1::oid[], $2::int4[]) WITH ORDINALITY AS x(o, m, i) ORDER BY i`,
    [oids, mods],
  );
  const raw: RawColumn[] = res.fields.map((f, i) => ({
    name: f.name,
    typeOid: f.dataTypeID,
    typmod: f.dataTypeModifier,
    formatType: ft.rows[i]!.ft,
    notNull: false,
  }));
  return resolveColumns(client, raw);
}

/** The planner's row estimate for a SELECT (for progress with a WHERE filter or a custom query). */
export async function estimateQueryRows(client: pg.ClientBase, sql: string): Promise<number | undefined> {
  try {
    const res = await client.query<{ 'QUERY PLAN': Array<{ Plan: { 'Plan Rows': number } }> }>(`EXPLAIN (FORMAT JSON) ${sql}`);
    const rows = res.rows[0]?.['QUERY PLAN']?.[0]?.Plan?.['Plan Rows'];
    return typeof rows === 'number' ? rows : undefined;
  } catch {
    return undefined; // an estimate is a nicety: a query EXPLAIN cannot plan still runs
  }
}

async function loadTypes(client: pg.ClientBase, oids: number[], into: Map<number, TypeRow>): Promise<void> {
  let missing = [...new Set(oids)].filter((o) => !into.has(o));
  while (missing.length > 0) {
    const res = await client.query<{
      oid: string;
      typname: string;
      nspname: string;
      typtype: string;
      typcategory: string;
      typelem: string;
      typlen: number;
      typbasetype: string;
      typtypmod: number;
      base_format: string | null;
      labels: string[] | null;
    }>(
      `SELECT t.oid::text AS oid, t.typname, n.nspname, t.typtype, t.typcategory, t.typelem::text AS typelem, t.typlen,
              t.typbasetype::text AS typbasetype, t.typtypmod,
              CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END AS base_format,
              CASE WHEN t.typtype = 'e' THEN
                (SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid) END AS labels
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE t.oid = ANY($1::oid[])`,
      [missing],
    );
    const next: number[] = [];
    for (const r of res.rows) {
      const elemOid = r.typcategory === 'A' && r.typlen === -1 ? Number(r.typelem) : 0;
      const info: TypeRow = {
        oid: Number(r.oid),
        name: r.typname,
        schema: r.nspname,
        typtype: r.typtype,
        elemOid,
        baseOid: Number(r.typbasetype),
        baseTypmod: r.typtypmod,
        enumLabels: r.labels ?? undefined,
        baseFormat: r.base_format,
      };
      into.set(info.oid, info);
      if (elemOid) next.push(elemOid);
      if (info.typtype === 'd') next.push(info.baseOid);
    }
    missing = [...new Set(next)].filter((o) => !into.has(o));
  }
}

/**
 * Attaches type info; domains are replaced by their base type (the wire format is the base's and
 * a destination may not have the domain), arrays get their element type.
 */
async function resolveColumns(client: pg.ClientBase, raw: RawColumn[]): Promise<PgColumn[]> {
  const types = new Map<number, TypeRow>();
  await loadTypes(
    client,
    raw.map((c) => c.typeOid),
    types,
  );
  const typeOf = (oid: number): TypeRow => {
    const t = types.get(oid);
    if (!t) throw new Error(`type ${oid} not found in pg_type`);
    return t;
  };
  return raw.map((c) => {
    let type = typeOf(c.typeOid);
    let { typeOid, typmod, formatType } = c;
    if (type.typtype === 'd') {
      formatType = type.baseFormat ?? formatType;
      typmod = type.baseTypmod;
      typeOid = type.baseOid;
      type = typeOf(typeOid);
    }
    let elem: TypeRow | undefined;
    const elemOid = type.elemOid || undefined;
    if (type.elemOid) {
      elem = typeOf(type.elemOid);
      if (elem.typtype === 'd') {
        formatType = `${elem.baseFormat}[]`;
        elem = typeOf(elem.baseOid);
      }
    }
    return { name: c.name, typeOid, typmod, formatType, notNull: c.notNull, pkPosition: c.pkPosition, type, elem, elemOid };
  });
}
