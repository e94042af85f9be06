import { Field, Schema, Utf8, type RecordBatch } from 'apache-arrow';
import { z } from 'zod';
import { SynqxError } from '../../core/errors.js';
import { setColumn, utf8Data } from './column-data.js';
import { takeRows } from './take.js';

/**
 * Rows a transform rejects (validate, type_cast): what `on_error` means, and the shape of a rejected
 * batch. A rejected batch holds the failing input rows with their original values plus one text
 * column saying why, so the quarantine table can be replayed after a fix.
 */
export const ERROR_COLUMN = '_synqx_error';

export const onErrorFields = {
  /** 'fail' (default): the first failing row fails the step. 'quarantine': failing rows go to `quarantine_asset_id`. */
  on_error: z.enum(['fail', 'quarantine']).default('fail'),
  quarantine_asset_id: z.number().int().positive().optional(),
};

/** The cross-field rule of `onErrorFields`, for a schema's superRefine. */
export function checkOnError(config: { on_error: 'fail' | 'quarantine'; quarantine_asset_id?: number }, ctx: z.RefinementCtx): void {
  if (config.on_error === 'quarantine' && config.quarantine_asset_id === undefined) {
    ctx.addIssue({ code: 'custom', path: ['quarantine_asset_id'], message: "required when on_error is 'quarantine'" });
  }
  if (config.on_error !== 'quarantine' && config.quarantine_asset_id !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['quarantine_asset_id'], message: "only allowed when on_error is 'quarantine'" });
  }
}

/** The destination asset of a node's rejected rows, when its (parsed) config quarantines them. */
export function quarantineAssetOf(config: unknown): number | undefined {
  const c = config as { on_error?: unknown; quarantine_asset_id?: unknown } | null | undefined;
  return c?.on_error === 'quarantine' && typeof c.quarantine_asset_id === 'number' ? c.quarantine_asset_id : undefined;
}

/** Schema of the rejected rows of a transform whose input has `input`: the input plus `_synqx_error` (an existing one is replaced). */
export function rejectedSchema(input: Schema): Schema {
  const field = new Field(ERROR_COLUMN, new Utf8(), false);
  const fields = input.fields.filter((f) => f.name !== ERROR_COLUMN);
  const at = input.fields.findIndex((f) => f.name === ERROR_COLUMN);
  if (at >= 0) fields.splice(at, 0, field);
  else fields.push(field);
  return new Schema(fields, input.metadata);
}

/** The input rows at `rows` (ascending) with their reasons in `_synqx_error`. */
export function rejectRows(input: RecordBatch, rows: Int32Array, reasons: readonly string[]): RecordBatch {
  const picked = takeRows(input, rows);
  const at = input.schema.fields.findIndex((f) => f.name === ERROR_COLUMN);
  return setColumn(picked, at >= 0 ? at : picked.schema.fields.length, new Field(ERROR_COLUMN, new Utf8(), false), utf8Data(reasons));
}

const MAX_SHOWN = 80;

/** A cell as an error message shows it: quoted text, truncated; NULL as NULL. */
export function shownValue(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  let s: string;
  if (typeof v === 'string') s = `'${v}'`;
  else if (v instanceof Uint8Array) s = `\\x${Buffer.from(v).toString('hex')}`;
  else if (v instanceof Date) s = v.toISOString();
  else s = String(v);
  return s.length > MAX_SHOWN ? `${s.slice(0, MAX_SHOWN)}…` : s;
}

/** on_error 'fail': the step fails on its first failing row, naming the row (1-based in the batch) and the reason. */
export function rowFailure(what: string, row: number, reason: string): SynqxError {
  return new SynqxError('DATA_ERROR', `${what}: row ${row + 1} of the batch: ${reason} (set on_error: 'quarantine' to divert failing rows instead)`, {
    details: { row: row + 1, reason },
  });
}
