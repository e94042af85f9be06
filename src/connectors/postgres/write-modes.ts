import { quoteIdent } from '../../core/sql.js';

export const WRITE_MODES = ['append', 'truncate', 'replace', 'upsert'] as const;
export type WriteMode = (typeof WRITE_MODES)[number];

/** A destination column being loaded. */
export interface LoadColumn {
  name: string;
  /** The destination column's format_type. */
  destType: string;
  /** Loaded as text into staging and cast on the way in (types without a native encoder). */
  viaText: boolean;
}

/**
 * How each mode reaches the destination, all inside the load's transaction:
 * - append: COPY straight into the table.
 * - truncate: TRUNCATE, then COPY straight into the table (readers wait on the lock for the whole load).
 * - replace: COPY into a temp staging table, then TRUNCATE + INSERT … SELECT at the end. We keep the
 *   table itself rather than swapping in a renamed copy: its OID, indexes, grants, owner, triggers,
 *   RLS policies and dependent views stay exactly as they were, and the exclusive lock is held
 *   only for the final insert instead of the whole load. Atomic because it is one transaction.
 * - upsert: COPY into staging, then INSERT … SELECT … ON CONFLICT (keys) DO UPDATE.
 * append/truncate also go through staging when a column needs a text cast.
 */
export function needsStaging(mode: WriteMode, columns: LoadColumn[]): boolean {
  return mode === 'replace' || mode === 'upsert' || columns.some((c) => c.viaText);
}

/** A temp table with the loaded columns; kept across commits (emptied) when chunks commit. */
export function stagingTableSql(staging: string, columns: LoadColumn[], keepAcrossCommits: boolean): string {
  const defs = columns.map((c) => `${quoteIdent(c.name)} ${c.viaText ? 'text' : c.destType}`).join(', ');
  return `CREATE TEMP TABLE ${staging} (${defs}) ON COMMIT ${keepAcrossCommits ? 'DELETE ROWS' : 'DROP'}`;
}

/** Statements moving staged rows into the destination for `mode`. */
export function moveFromStagingSql(mode: WriteMode, dest: string, staging: string, columns: LoadColumn[], keys: string[]): string[] {
  const names = columns.map((c) => quoteIdent(c.name)).join(', ');
  const select = columns.map((c) => (c.viaText ? `${quoteIdent(c.name)}::${c.destType}` : quoteIdent(c.name))).join(', ');
  const insert = `INSERT INTO ${dest} (${names}) SELECT ${select} FROM ${staging}`;
  switch (mode) {
    case 'replace':
      return [`TRUNCATE ${dest}`, insert];
    case 'upsert': {
      const keySet = new Set(keys);
      const updates = columns.filter((c) => !keySet.has(c.name)).map((c) => `${quoteIdent(c.name)} = EXCLUDED.${quoteIdent(c.name)}`);
      const action = updates.length > 0 ? `DO UPDATE SET ${updates.join(', ')}` : 'DO NOTHING';
      return [`${insert} ON CONFLICT (${keys.map(quoteIdent).join(', ')}) ${action}`];
    }
    default:
      return [insert];
  }
}
