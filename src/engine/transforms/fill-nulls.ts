import { DataType, DateUnit, makeData, TimeUnit, vectorFromArray, type Data, type DateDay, type Field, type RecordBatch, type TimestampMicrosecond } from 'apache-arrow';
import { z } from 'zod';
import { FIELD_META_PG_TYPE } from '../../core/data-ports.js';
import { SynqxError } from '../../core/errors.js';
import { cellsOf, columnIndex, setColumn } from './column-data.js';
import { oneOfKeys } from './config-aliases.js';
import { castCell, CastFailure } from './expr/casts.js';
import { validity } from './row-keys.js';
import { isNumericPgType, NUMERIC_LITERAL } from './decimal-text.js';
import { createFillStrategy } from './fill-nulls-strategy.js';
import type { StreamOperator } from './stream-operator.js';
import type { TransformContext, TransformFn } from './transform.js';

const literal = z.union([z.string(), z.number(), z.boolean()]);

const columnValues = z.record(z.string().min(1), literal).refine((m) => Object.keys(m).length > 0, { message: 'needs at least one column' });

/**
 * `strategy` spellings, the original SynqX's (pandas' fillna methods) included, by what they do. A
 * computed fill reads the column's other values, so it needs state across batches: see
 * fill-nulls-strategy.ts.
 */
const STRATEGIES = {
  constant: 'constant',
  forward: 'forward',
  ffill: 'forward',
  pad: 'forward',
  backward: 'backward',
  bfill: 'backward',
  backfill: 'backward',
  mean: 'mean',
  median: 'median',
  mode: 'mode',
} as const;

export type FillStrategy = Exclude<(typeof STRATEGIES)[keyof typeof STRATEGIES], 'constant'>;

/** What a computed strategy holds at most by default (rows), as sort does. */
const DEFAULT_MAX_ROWS = 1_000_000;

export const fillNullsConfigSchema = z
  .object({
    values: columnValues.optional(),
    value: z
      .union([literal, columnValues])
      .optional()
      .describe(
        'the original SynqX spelling: one literal for every column it fits (text for text columns, numbers for numeric ones, true/false for booleans; other columns are left alone), or for just `columns`; or a {column: literal} map like `values`',
      ),
    columns: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('with a single `value`: the columns it fills (each must fit it); with a `strategy`: the columns it fills (default: every column, or every numeric one for mean and median)'),
    strategy: z
      .enum(Object.keys(STRATEGIES) as [keyof typeof STRATEGIES, ...(keyof typeof STRATEGIES)[]])
      .optional()
      .describe(
        'instead of a literal, fill from the column itself: forward (ffill, pad) = the last non-NULL value before, backward (bfill, backfill) = the next one after, mean / median (numeric columns) or mode (most frequent value) of the whole run; constant = `value`',
      ),
    max_rows: z
      .number()
      .int()
      .positive()
      .optional()
      .describe(`backward, mean, median, mode: the most rows held at once (default ${DEFAULT_MAX_ROWS.toLocaleString('en-US')}); past it the step fails`),
  })
  .strict()
  .superRefine((config, ctx) => {
    const strategy = config.strategy === undefined ? undefined : STRATEGIES[config.strategy];
    if (strategy !== undefined && strategy !== 'constant') {
      // A computed fill and a literal contradict each other: say so rather than pick one.
      for (const key of ['values', 'value'] as const) {
        if (config[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `${key} is a literal fill; strategy ${config.strategy} computes the fill from the column: give one of them` });
      }
      return;
    }
    if (strategy === 'constant' && config.values === undefined && config.value === undefined) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: 'strategy constant fills with value: give value (or values)' });
    } else {
      oneOfKeys(config, ctx, 'values', 'value', { required: true, what: 'the literal to put in place of NULL, per column (or a strategy)' });
    }
    if (config.columns && (config.value === undefined || typeof config.value === 'object')) {
      ctx.addIssue({ code: 'custom', path: ['columns'], message: 'columns goes with a single value; a {column: literal} map names its columns itself' });
    }
    if (config.max_rows !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['max_rows'], message: 'max_rows bounds the rows a strategy holds (backward, mean, median, mode); a literal fill holds none' });
    }
  })
  .transform(({ values, value, columns, strategy, max_rows }): LiteralFill | StrategyFill => {
    const computed = strategy === undefined ? 'constant' : STRATEGIES[strategy];
    if (computed !== 'constant') return { strategy: computed, columns, max_rows: max_rows ?? DEFAULT_MAX_ROWS };
    if (values) return { strategy: 'constant', values };
    if (typeof value === 'object') return { strategy: 'constant', values: value };
    return columns ? { strategy: 'constant', values: Object.fromEntries(columns.map((c) => [c, value!])) } : { strategy: 'constant', everyColumn: value! };
  });

type Literal = z.infer<typeof literal>;
/** A literal per named column, or one literal for every column it fits: runs on the pool. */
export type LiteralFill = { strategy: 'constant'; values: Record<string, Literal>; everyColumn?: undefined } | { strategy: 'constant'; values?: undefined; everyColumn: Literal };
/** A fill computed from the column's own values: runs as a stream operator (fill-nulls-strategy.ts). */
export interface StrategyFill {
  strategy: FillStrategy;
  columns: string[] | undefined;
  max_rows: number;
}

export type FillNullsConfig = z.infer<typeof fillNullsConfigSchema>;

const TEXT_TYPES = /^(text|character varying|varchar|character|char|bpchar|name|citext)\b/i;

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
 * column type is only known once a batch arrives, so this runs per batch (once per column).
 */
function coerce(value: Literal, field: Field, onlyText = false): { ok: true; value: unknown; raw?: true } | { ok: false; why: string } {
  const t = field.type;
  const bad = (why: string) => ({ ok: false as const, why });
  if (DataType.isUtf8(t) || DataType.isLargeUtf8(t)) {
    // Postgres numeric travels as text: its fill must be a number (or its digits), not any string.
    const pgType = field.metadata.get(FIELD_META_PG_TYPE) ?? 'text';
    if (isNumericPgType(pgType)) {
      const digits = typeof value === 'number' && Number.isFinite(value) ? String(value) : typeof value === 'string' ? value.trim() : '';
      return NUMERIC_LITERAL.test(digits) ? { ok: true, value: digits } : bad('a numeric column needs a number');
    }
    if (typeof value !== 'string') return bad('a text column needs a string');
    // Other types that travel as text (jsonb, inet, enums…) are filled only when named.
    return onlyText && !TEXT_TYPES.test(pgType) ? bad(`${pgType} is not a text column`) : { ok: true, value };
  }
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
  if (DataType.isDate(t) || DataType.isTimestamp(t)) return timeFill(value, field);
  return bad(`fill_nulls does not support columns of type ${String(t)}`);
}

/**
 * A date or timestamp fill, read as the expression language reads `cast('…' as date|timestamp)`, as the
 * column stores it: days for a date, microseconds for a timestamp (the units Postgres sources give).
 */
function timeFill(value: Literal, field: Field): { ok: true; value: unknown; raw: true } | { ok: false; why: string } {
  const t = field.type as DataType;
  const day = DataType.isDate(t) && (t as DateDay).unit === DateUnit.DAY;
  const micro = DataType.isTimestamp(t) && (t as TimestampMicrosecond).unit === TimeUnit.MICROSECOND;
  if (!day && !micro) return { ok: false, why: `fill_nulls does not support columns of type ${String(t)}` };
  if (typeof value !== 'string') return { ok: false, why: `a ${day ? 'date' : 'timestamp'} column needs a string such as '2024-01-31'` };
  try {
    const micros = castCell(value, 'str', day ? 'date' : 'timestamp') as number;
    return { ok: true, raw: true, value: day ? Math.floor(micros / 86_400_000_000) : BigInt(Math.round(micros)) };
  } catch (err) {
    if (!(err instanceof CastFailure)) throw err;
    return { ok: false, why: `'${value}' is not a ${day ? 'date' : 'timestamp'}` };
  }
}

/** Fixed-width values copied as stored (timestamps keep their microseconds), NULL slots set to `fill`. */
function fillStored(data: Data, fill: number | bigint): Data {
  const valid = validity(data);
  const values = (data.values as Int32Array | BigInt64Array).slice(0, data.length);
  for (let i = 0; i < data.length; i++) if (valid && !valid(i)) values[i] = fill as never;
  return makeData({ type: data.type, length: data.length, nullCount: 0, data: values } as never);
}

/**
 * Replaces NULLs column by column with a literal that must fit the column's Arrow type (else DATA_ERROR).
 * With `everyColumn`, the literal fills the columns it fits and leaves the others alone. A computed
 * `strategy` does not run here: see fillNullsStream.
 */
export function buildFillNulls(config: FillNullsConfig): TransformFn {
  if (config.strategy !== 'constant') {
    // The runtime sends such a node to its actor (fillNullsStream); only API validation builds this.
    const strategy = config.strategy;
    return () => {
      throw new SynqxError('INTERNAL', `fill_nulls with strategy ${strategy} keeps state across batches: it runs in its node's actor, not on the pool`);
    };
  }
  const entries = config.values ? Object.entries(config.values) : undefined;
  return (batch: RecordBatch) => {
    let out = batch;
    /** Column i filled with `raw`; a named column must fit it, else the column is left alone. */
    const fill = (i: number, raw: Literal, named: boolean) => {
      const field = batch.schema.fields[i]!;
      const fit = coerce(raw, field, !named);
      if (!fit.ok) {
        if (!named) return;
        throw new SynqxError('DATA_ERROR', `fill_nulls: value ${JSON.stringify(raw)} for column "${field.name}" does not fit its type ${String(field.type)}: ${fit.why}`);
      }
      const data = batch.data.children[i]!;
      if (data.nullCount === 0) return;
      if ('raw' in fit) {
        out = setColumn(out, i, field, fillStored(data, fit.value as number | bigint));
        return;
      }
      const cells = cellsOf(data).map((v) => (v === null || v === undefined ? fit.value : v));
      out = setColumn(out, i, field, vectorFromArray(cells as never[], field.type).data[0]!);
    };
    if (entries) for (const [name, raw] of entries) fill(columnIndex(batch, name, 'fill_nulls'), raw, true);
    else batch.schema.fields.forEach((_, i) => fill(i, config.everyColumn!, false));
    return out;
  };
}

/**
 * The stream operator a computed `strategy` needs (it reads other batches' values); undefined for a
 * literal fill, which stays a pure batch function on the pool.
 */
export function fillNullsStream(config: FillNullsConfig): ((ctx: TransformContext) => StreamOperator) | undefined {
  if (config.strategy === 'constant') return undefined;
  return () => createFillStrategy(config);
}
