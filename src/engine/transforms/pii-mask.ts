import { createHash } from 'node:crypto';
import { Utf8 } from 'apache-arrow';
import { z } from 'zod';
import { cellsOf, columnIndex, retyped, setColumn, utf8Data } from './column-data.js';
import type { TransformFn } from './transform.js';

export const piiMaskConfigSchema = z
  .object({
    masks: z
      .array(z.object({ column: z.string().min(1), strategy: z.enum(['redact', 'hash', 'partial']) }).strict())
      .min(1),
    /**
     * Prepended to every value before hashing. The runner should pass a per-pipeline secret here so
     * hashes join within a pipeline but cannot be matched against other pipelines or rainbow tables.
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
    if (config.masks.some((m) => m.strategy === 'hash') && config.salt === undefined) {
      ctx.addIssue({ code: 'custom', path: ['salt'], message: 'the hash strategy needs a salt' });
    }
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
 * `hash` → SHA-256 hex of salt + value, `partial` → all but the last 4 characters replaced by `*`.
 */
export function buildPiiMask(config: PiiMaskConfig): TransformFn {
  const salt = config.salt ?? '';
  const maskers: Record<PiiMaskConfig['masks'][number]['strategy'], (s: string) => string> = {
    redact: () => REDACTED,
    hash: (s) => createHash('sha256').update(salt + s, 'utf8').digest('hex'),
    partial: partialMask,
  };
  return (batch) => {
    let out = batch;
    for (const { column, strategy } of config.masks) {
      const i = columnIndex(batch, column, 'pii_mask');
      const mask = maskers[strategy];
      const cells = cellsOf(batch.data.children[i]!).map((v) => (v === null || v === undefined ? null : mask(String(v))));
      out = setColumn(out, i, retyped(batch.schema.fields[i]!, new Utf8()), utf8Data(cells));
    }
    return out;
  };
}
