import pg from 'pg';
import { quoteIdent, quoteQualified } from '../../src/core/sql.js';

/**
 * The benchmark table of issue 5: bigint, int, short and ~100-char text, numeric(12,2), float8,
 * bool, timestamptz, date, jsonb, uuid; about 10% NULLs. Deterministic: row i is always the same
 * (derived from md5(i)), so every run and every machine moves the same bytes.
 */
export const MIXED_TABLE_DDL = (qualified: string) => `CREATE TABLE ${qualified} (
  id bigint PRIMARY KEY,
  qty integer,
  code text,
  note text,
  amount numeric(12,2),
  ratio double precision,
  active boolean,
  created_at timestamptz,
  day date,
  attrs jsonb,
  ref uuid
)`;

function fillSql(qualified: string, from: number, to: number): string {
  // NULL roughly one row in ten per column, on different rows for different columns.
  return `INSERT INTO ${qualified}
SELECT i,
  CASE WHEN i % 10 = 1 THEN NULL ELSE (i * 7919) % 100000 END,
  CASE WHEN i % 10 = 2 THEN NULL ELSE substr(md5(i::text), 1, 8) END,
  CASE WHEN i % 10 = 3 THEN NULL ELSE repeat(md5((i * 31)::text), 3) || ' ' || i::text END,
  CASE WHEN i % 10 = 4 THEN NULL ELSE ((i * 104729) % 100000000)::numeric / 100 END,
  CASE WHEN i % 10 = 5 THEN NULL ELSE (i % 9973) / 7.0 END,
  CASE WHEN i % 10 = 6 THEN NULL ELSE i % 3 = 0 END,
  CASE WHEN i % 10 = 7 THEN NULL ELSE timestamptz '2020-01-01 00:00:00+00' + (i * interval '17 seconds') END,
  CASE WHEN i % 10 = 8 THEN NULL ELSE date '2000-01-01' + (i % 9000)::int END,
  CASE WHEN i % 10 = 9 THEN NULL ELSE jsonb_build_object('k', i % 100, 'tag', substr(md5(i::text), 9, 6), 'ok', i % 2 = 0) END,
  CASE WHEN i % 10 = 0 AND i % 20 = 0 THEN NULL ELSE md5(i::text || 'u')::uuid END
FROM generate_series(${from}::bigint, ${to}::bigint) AS i`;
}

/** Creates (or re-creates) `schema.table` with `rows` rows; fills in slices so progress is visible and WAL stays small. */
export async function createMixedTable(url: string, schema: string, table: string, rows: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const qualified = quoteQualified(schema, table);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    await client.query(`DROP TABLE IF EXISTS ${qualified}`);
    await client.query(MIXED_TABLE_DDL(qualified));
    const slice = 500_000;
    for (let from = 1; from <= rows; from += slice) {
      await client.query(fillSql(qualified, from, Math.min(rows, from + slice - 1)));
    }
    await client.query(`VACUUM ANALYZE ${qualified}`);
  } finally {
    await client.end();
  }
}

export interface TableChecksum {
  rows: number;
  /** Order-independent: the sum of a 60-bit hash of every row's text form. */
  checksum: string;
}

/** Row count and a checksum over the text form of every row of `select` (a query or a qualified table). */
export async function checksumOf(url: string, select: string): Promise<TableChecksum> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string; s: string | null }>(
      `SELECT count(*)::text AS n, coalesce(sum(('x' || substr(md5(t::text), 1, 15))::bit(60)::bigint), 0)::text AS s FROM (${select}) AS t`,
    );
    return { rows: Number(rows[0]!.n), checksum: rows[0]!.s ?? '0' };
  } finally {
    await client.end();
  }
}
