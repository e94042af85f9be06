import { DataType, vectorFromArray, type Field, type RecordBatch } from 'apache-arrow';
import { z } from 'zod';
import { SynqxError } from '../../core/errors.js';
import { cellsOf, columnIndex, setColumn } from './column-data.js';
import type { TransformFn } from './transform.js';

const literal = z.union([z.string(), z.number(), z.boolean()]);

export const fillNullsConfigSchema = z
  .object({
    values: z.record(z.string().min(1), literal).refine((m) => Object.keys(m).length > 0, { message: 'values needs at least one column' }),
  })
  .strict();

export type FillNullsConfig = z.infer<typeof fillNullsConfigSchema>;
type Literal = z.infer<typeof literal>;

const INT_RANGES: Record<string, [number, number]> = {
  '8s': [-128, 127],
  '16s': [-32768, 32767],
  '32s': [-2147483648, 2147483647],
  '8u': [0, 255],
  '16u': [0, 65535],
  '32u': [0, 4294967295],
};

/**
 * The literal as the column's Arrow type stores it, or a message saying why it does not fit. The
 * column type is only known once a batch arrives, so this runs on the first batch of each schema.
 */
function coerce(value: Literal, field: Field): { ok: true; value: unknown } | { ok: false; why: string } {
  const t = field.type;
  const bad = (why: string) => ({ ok: false as const, why });
  if (DataType.isUtf8(t) || DataType.isLargeUtf8(t)) return typeof value === 'string' ? { ok: true, value } : bad('a text column needs a string');
  if (DataType.isBool(t)) return typeof value === 'boolean' ? { ok: true, value } : bad('a boolean column needs true or false');
  if (DataType.isFloat(t)) return typeof value === 'number' ? { ok: true, value } : bad('a floating-point column needs a number');
  if (DataType.isInt(t)) {
    if (typeof value !== 'number' || !Number.isInteger(value)) return bad('an integer column needs a whole number');
    if (t.bitWidth === 64) {
      if (!Number.isSafeInteger(value) || (!t.isSigned && value < 0)) return bad(`${value} does not fit ${String(t)}`);
      return { ok: true, value: t.isSigned ? BigInt(value) : BigInt.asUintN(64, BigInt(value)) };
    }
    const [lo, hi] = INT_RANGES[`${t.bitWidth}${t.isSigned ? 's' : 'u'}`]!;
    return value >= lo && value <= hi ? { ok: true, value } : bad(`${value} does not fit ${String(t)}`);
  }
  return bad(`fill_nulls does not support columns of type ${String(t)}`);
}

/** Replaces NULLs column by column with a literal that must fit the column's Arrow type (else DATA_ERROR). */
export function buildFillNulls(config: FillNullsConfig): TransformFn {
  const entries = Object.entries(config.values);
  return (batch: RecordBatch) => {
    let out = batch;
    for (const [name, raw] of entries) {
      const i = columnIndex(batch, name, 'fill_nulls');
      const field = batch.schema.fields[i]!;
      const fit = coerce(raw, field);
      if (!fit.ok) {
        throw new SynqxError('DATA_ERROR', `fill_nulls: value ${JSON.stringify(raw)} for column "${name}" does not fit its type ${String(field.type)}: ${fit.why}`);
      }
      const data = batch.data.children[i]!;
      if (data.nullCount === 0) continue;
      const cells = cellsOf(data).map((v) => (v === null || v === undefined ? fit.value : v));
      out = setColumn(out, i, field, vectorFromArray(cells as never[], field.type).data[0]!);
    }
    return out;
  };
}
