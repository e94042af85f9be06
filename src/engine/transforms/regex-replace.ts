import { DataType, Utf8 } from 'apache-arrow';
import { z } from 'zod';
import { SynqxError } from '../../core/errors.js';
import { cellsOf, columnIndex, retyped, setColumn, utf8Data } from './column-data.js';
import type { TransformFn } from './transform.js';

export const regexReplaceConfigSchema = z
  .object({
    column: z.string().min(1),
    pattern: z.string().min(1),
    replacement: z.string(),
    /** JavaScript RegExp flags; default `g` (every match, as pandas str.replace). */
    flags: z.string().regex(/^[gimsuy]*$/, 'flags may only contain g, i, m, s, u, y').optional(),
  })
  .strict();

export type RegexReplaceConfig = z.infer<typeof regexReplaceConfigSchema>;

function compile(config: RegexReplaceConfig): RegExp {
  try {
    return new RegExp(config.pattern, config.flags ?? 'g');
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw SynqxError.validation([{ field: 'config.pattern', message, error_type: 'invalid_regex' }], `regex_replace: ${message}`);
  }
}

/** Rewrites a text column with a regex compiled once at build; `$1` etc. in `replacement` refer to groups. */
export function buildRegexReplace(config: RegexReplaceConfig): TransformFn {
  const re = compile(config);
  return (batch) => {
    const i = columnIndex(batch, config.column, 'regex_replace');
    const field = batch.schema.fields[i]!;
    const t = field.type;
    const isText = DataType.isUtf8(t) || DataType.isLargeUtf8(t) || (DataType.isDictionary(t) && DataType.isUtf8(t.dictionary));
    if (!isText) throw new SynqxError('DATA_ERROR', `regex_replace: column "${config.column}" is ${String(t)}, not text`);
    const cells = cellsOf(batch.data.children[i]!) as (string | null)[];
    // String.replace resets lastIndex for global regexes, so the one compiled RegExp is safe to reuse.
    const out = cells.map((s) => (s === null || s === undefined ? null : s.replace(re, config.replacement)));
    return setColumn(batch, i, retyped(field, new Utf8()), utf8Data(out));
  };
}
