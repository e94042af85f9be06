import type { Schema } from 'apache-arrow';
import type pg from 'pg';
import { FIELD_META_PG_TYPE, FIELD_META_PK_POSITION } from '../../core/data-ports.js';
import { SynqxError } from '../../core/errors.js';
import { parseQualifiedName, quoteIdent, quoteLiteral, quoteQualified } from '../../core/sql.js';
import { FIELD_META_PG_ENUM_LABELS, pgTypeForField } from './type-map.js';

/** An enum a destination needs before its table can be created. */
export interface EnumSpec {
  schema: string | undefined;
  name: string;
  labels: string[];
}

/** Enums named by the fields' exact types (`"public"."mood"`, `"public"."mood"[]`). */
export function enumsOf(schema: Schema): EnumSpec[] {
  const out = new Map<string, EnumSpec>();
  for (const f of schema.fields) {
    const labels = f.metadata.get(FIELD_META_PG_ENUM_LABELS);
    const type = f.metadata.get(FIELD_META_PG_TYPE);
    if (!labels || !type) continue;
    const ref = parseQualifiedName(type.replace(/(\[\])+$/, ''));
    out.set(quoteQualified(ref.schema, ref.name), { ...ref, labels: JSON.parse(labels) as string[] });
  }
  return [...out.values()];
}

/** Primary key columns in key order, from FIELD_META_PK_POSITION. */
export function primaryKeyOf(schema: Schema): string[] {
  return schema.fields
    .filter((f) => f.metadata.has(FIELD_META_PK_POSITION))
    .sort((a, b) => Number(a.metadata.get(FIELD_META_PK_POSITION)) - Number(b.metadata.get(FIELD_META_PK_POSITION)))
    .map((f) => f.name);
}

/**
 * Creates `schema.table` with the exact column types of `arrow` (enums and the schema first when
 * missing), NOT NULL where the field is not nullable, and a primary key. Runs in the caller's
 * transaction, so a failed load leaves no half-created table behind.
 */
export async function createDestination(
  client: pg.ClientBase,
  schemaName: string | undefined,
  table: string,
  arrow: Schema,
  primaryKey: string[],
): Promise<void> {
  if (schemaName) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schemaName)}`);
  for (const e of enumsOf(arrow)) {
    const exists = await client.query(`SELECT to_regtype($1) IS NOT NULL AS ok`, [quoteQualified(e.schema, e.name)]);
    if (exists.rows[0]?.ok) continue;
    if (e.schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(e.schema)}`);
    await client.query(`CREATE TYPE ${quoteQualified(e.schema, e.name)} AS ENUM (${e.labels.map(quoteLiteral).join(', ')})`);
  }
  const columns = arrow.fields.map((f) => ({ name: f.name, type: pgTypeForField(f), notNull: !f.nullable }));
  await assertTypesExist(
    client,
    columns.map((c) => c.type),
  );
  const defs = columns.map((c) => `${quoteIdent(c.name)} ${c.type}${c.notNull ? ' NOT NULL' : ''}`);
  if (primaryKey.length > 0) defs.push(`PRIMARY KEY (${primaryKey.map(quoteIdent).join(', ')})`);
  await client.query(`CREATE TABLE ${quoteQualified(schemaName, table)} (\n  ${defs.join(',\n  ')}\n)`);
}

/**
 * Type names come from field metadata and are spliced into DDL, so each must parse as exactly one
 * existing type name (to_regtype runs PG's own type-name parser) before we use it.
 */
async function assertTypesExist(client: pg.ClientBase, types: string[]): Promise<void> {
  for (const t of new Set(types)) {
    let ok = false;
    try {
      await client.query('SAVEPOINT synqx_type_check');
      const r = await client.query<{ ok: boolean }>(`SELECT to_regtype($1) IS NOT NULL AS ok`, [t]);
      ok = r.rows[0]?.ok === true;
      await client.query('RELEASE SAVEPOINT synqx_type_check');
    } catch {
      await client.query('ROLLBACK TO SAVEPOINT synqx_type_check');
    }
    if (!ok) throw new SynqxError('DESTINATION_ERROR', `type ${t} does not exist in the destination database`, { domain: 'user' });
  }
}
