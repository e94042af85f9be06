import { createHash } from 'node:crypto';
import { Utf8 } from 'apache-arrow';
import { z } from 'zod';
import { columnCells } from './column-cells.js';
import { columnIndex, retyped, setColumn, utf8Data } from './column-data.js';
import { SynqxError } from '../../core/errors.js';
import type { TransformFn } from './transform.js';

export const piiMaskConfigSchema = z
  .object({
    masks: z
      .array(z.object({ column: z.string().min(1), strategy: z.enum(['redact', 'hash', 'partial']) }).strict())
      .min(1),
    /**
     * Prepended to every value before hashing: an explicit override. Without it `hash` uses the salt
     * the runner derives per pipeline (TransformContext.salt), so hashes join within a pipeline but
     * cannot be matched against other pipelines or precomputed tables.
     */
    salt: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.masks.forEach((m, i) => {
      if (seen.has(m.column)) ctx.addIssue({ code: 'custom', path: ['masks', i, 'column'], message: `column "${m.column}" is masked twice` });
      seen.add(m.column);
    });
  });

export type PiiMaskConfig = z.infer<typeof piiMaskConfigSchema>;

export const REDACTED = '[REDACTED]';

/** Keeps the last 4 characters; values of 4 characters or fewer are masked entirely (else nothing would be hidden). */
export function partialMask(s: string): string {
  const chars = Array.from(s);
  if (chars.length <= 4) return '*'.repeat(chars.length);
  return '*'.repeat(chars.length - 4) + chars.slice(-4).join('');
}

/**
 * Masks columns as text (every output column is Utf8; NULL stays NULL): `redact` → "[REDACTED]",
 * `hash` → SHA-256 hex of salt + value (the config's `salt`, else the run's per-pipeline salt),
 * `partial` → all but the last 4 characters replaced by `*`.
 */
export function buildPiiMask(config: PiiMaskConfig): TransformFn {
  const hashes = config.masks.some((m) => m.strategy === 'hash');
  return (batch, ctx) => {
    const salt = config.salt ?? ctx.salt;
    // Checked on every batch, the empty schema probe included, so a run without a salt fails before data moves.
    if (hashes && salt === undefined) {
      throw new SynqxError('CONFIG_INVALID', 'pii_mask: the hash strategy needs a salt: set config.salt (runs of API pipelines get a per-pipeline salt; pipeline files do not)');
    }
    const maskers: Record<PiiMaskConfig['masks'][number]['strategy'], (s: string) => string> = {
      redact: () => REDACTED,
      hash: (s) => createHash('sha256').update(salt + s, 'utf8').digest('hex'),
      partial: partialMask,
    };
    let out = batch;
    for (const { column, strategy } of config.masks) {
      const i = columnIndex(batch, column, 'pii_mask');
      const mask = maskers[strategy];
      // Masked as the value's text (a timestamp as Postgres prints it, not as epoch microseconds).
      const values = columnCells(batch.schema.fields[i]!, batch.data.children[i]!);
      const cells = Array.from({ length: batch.numRows }, (_, r) => {
        const text = values.text(r);
        return text === null ? null : mask(text);
      });
      out = setColumn(out, i, retyped(batch.schema.fields[i]!, new Utf8()), utf8Data(cells));
    }
    return out;
  };
}
