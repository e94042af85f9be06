import { randomBytes } from 'node:crypto';
import { Type } from 'apache-arrow';
import type { Schema } from 'apache-arrow';
import type pg from 'pg';
import { SynqxError } from '../../core/errors.js';
import { parseQualifiedName, quoteQualified } from '../../core/sql.js';
import { readTable } from './catalog.js';
import type { PgTableInfo } from './catalog.js';
import { canCoerce } from './coerce.js';
import type { EncodeColumn } from './copy-encoder.js';
import { createDestination, primaryKeyOf } from './ddl.js';
import type { RawCopy } from './raw-copy.js';
import { Kind, arrowMatchesKind, codecForColumn } from './type-map.js';
import { needsStaging } from './write-modes.js';
import type { LoadColumn, WriteMode } from './write-modes.js';

/** How a load reaches its destination, decided once at open. */
export interface LoadPlan {
  /** `schema.table` for messages. */
  label: string;
  /** Quoted destination. */
  dest: string;
  /** Quoted COPY target: the destination, or the staging table. */
  target: string;
  staging: string | undefined;
  /** Loaded columns, in the order of the source schema's fields. */
  columns: LoadColumn[];
  encode: EncodeColumn[];
  /** Upsert conflict keys. */
  keys: string[];
}

export interface LoadPlanOptions {
  table: string;
  schema?: string;
  mode: WriteMode;
  upsert_keys?: string[];
  create_if_missing?: boolean;
}

/**
 * Reads (or, inside the caller's transaction, creates) the destination, matches the source fields
 * to its columns by name and picks each column's wire format: native when the Arrow type fits the
 * destination type, text + cast when the field is text and the type is not natively encoded.
 */
export async function prepareLoadPlan(client: pg.ClientBase, schema: Schema, o: LoadPlanOptions): Promise<LoadPlan> {
  let ref: { schema: string | undefined; name: string };
  try {
    ref = parseQualifiedName(o.table);
  } catch (err) {
    throw new SynqxError('CONFIG_INVALID', (err as Error).message);
  }
  const schemaName = ref.schema ?? o.schema;
  let info = await readTable(client, schemaName, ref.name);
  if (!info) {
    const label = schemaName ? `${schemaName}.${ref.name}` : ref.name;
    if (o.create_if_missing === false) {
      throw new SynqxError('DESTINATION_ERROR', `table ${label} does not exist (create_if_missing is off)`, { domain: 'user' });
    }
    const pk = o.mode === 'upsert' && o.upsert_keys?.length ? o.upsert_keys : primaryKeyOf(schema);
    await createDestination(client, schemaName, ref.name, schema, pk);
    info = (await readTable(client, schemaName, ref.name))!;
  }
  const label = `${info.schema}.${info.name}`;
  const dest = quoteQualified(info.schema, info.name);
  const { columns, encode } = mapColumns(schema, info, label);
  let keys: string[] = [];
  if (o.mode === 'upsert') {
    keys = o.upsert_keys?.length ? o.upsert_keys : info.primaryKey;
    if (keys.length === 0) throw new SynqxError('CONFIG_INVALID', `upsert into ${label} needs upsert_keys (the table has no primary key)`);
    const loaded = new Set(columns.map((c) => c.name));
    const missing = keys.filter((k) => !loaded.has(k));
    if (missing.length > 0) throw new SynqxError('CONFIG_INVALID', `upsert key column(s) ${missing.join(', ')} are not in the loaded data`);
  }
  const staging = needsStaging(o.mode, columns) ? quoteQualified('pg_temp', `synqx_stage_${randomBytes(6).toString('hex')}`) : undefined;
  if (staging) {
    // Staging columns use the base type of domains, whose array elements then carry the base oid.
    for (const e of encode) {
      const col = info.columns.find((c) => c.name === e.name)!;
      if (e.kind === Kind.ARRAY && col.elem) e.elemOid = col.elem.oid;
    }
  }
  return { label, dest, target: staging ?? dest, staging, columns, encode, keys };
}

function mapColumns(schema: Schema, info: PgTableInfo, label: string): { columns: LoadColumn[]; encode: EncodeColumn[] } {
  const byName = new Map(info.columns.map((c) => [c.name, c]));
  const columns: LoadColumn[] = [];
  const encode: EncodeColumn[] = [];
  schema.fields.forEach((f, index) => {
    const col = byName.get(f.name);
    if (!col) throw new SynqxError('DESTINATION_ERROR', `column "${f.name}" does not exist in ${label}`, { domain: 'user' });
    const codec = codecForColumn(col);
    const native = !codec.castToText && (arrowMatchesKind(f.type, codec.kind, codec.elemKind) || canCoerce(f.type, codec.kind));
    const viaText = !native && f.type.typeId === Type.Utf8;
    if (!native && !viaText) {
      throw new SynqxError('DATA_ERROR', `column "${f.name}": Arrow type ${String(f.type)} cannot be loaded into ${col.formatType}`);
    }
    columns.push({ name: f.name, destType: col.formatType, viaText });
    encode.push({ name: f.name, index, kind: viaText ? Kind.TEXT : codec.kind, elemKind: codec.elemKind, elemOid: codec.elemOid });
  });
  return { columns, encode };
}

/**
 * Whether a batch's source COPY bytes can go out as they are: the same columns in the same order,
 * each with the same wire format (array element oids included: array_recv checks them), none cast.
 * `wire`: the source's column formats (RawCopy.columns, or a source's announced wire format).
 */
export function canPassThrough(plan: LoadPlan, schema: Schema, wire: RawCopy['columns']): boolean {
  const { columns, encode } = plan;
  if (wire.length !== encode.length || schema.fields.length !== encode.length) return false;
  return encode.every((e, i) => {
    const r = wire[i]!;
    return (
      e.index === i &&
      schema.fields[i]!.name === e.name &&
      !columns[i]!.viaText &&
      r.kind === e.kind &&
      (e.kind !== Kind.ARRAY || (r.elemKind === e.elemKind && r.elemOid === e.elemOid))
    );
  });
}
