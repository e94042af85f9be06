import { DataType, Field, type RecordBatch } from 'apache-arrow';
import { z } from 'zod';
import { FIELD_META_PG_TYPE, FIELD_META_PK_POSITION } from '../../core/data-ports.js';
import { SynqxError } from '../../core/errors.js';
import { CAST_TYPE_NAMES, castColumn, PG_TYPE, type CastType } from './cast-types.js';
import { columnCells, type ColumnCells } from './column-cells.js';
import { columnIndex, setColumn } from './column-data.js';
import { NUMERIC_LITERAL, plainDecimal, roundDiv, roundHalfAway } from './decimal-text.js';
import { oneOfKeys } from './config-aliases.js';
import { castAccepts, castCell, CastFailure } from './expr/casts.js';
import type { Cell } from './expr/cells.js';
import type { ValueType } from './expr/values.js';
import { checkOnError, onErrorFields, rejectRows, rowFailure, shownValue } from './rejected-rows.js';
import { filterBatch } from './take.js';
import type { TransformFn } from './transform.js';

const castMap = z
  .record(z.string().min(1), z.enum(Object.keys(CAST_TYPE_NAMES) as [string, ...string[]]))
  .refine((m) => Object.keys(m).length > 0, { message: 'needs at least one {column: type}' });

export const typeCastConfigSchema = z
  .object({
    columns: castMap.optional(),
    casts: castMap.optional().describe('the original SynqX name of `columns`'),
    ...onErrorFields,
  })
  .strict()
  .superRefine((config, ctx) => {
    oneOfKeys(config, ctx, 'columns', 'casts', { required: true, what: 'the {column: type} pairs to cast' });
    checkOnError(config, ctx);
  })
  .transform(({ casts, columns, ...rest }) => ({ ...rest, columns: (columns ?? casts)! }));

export type TypeCastConfig = z.infer<typeof typeCastConfigSchema>;

const DAY = 86_400_000_000;
const SPECIAL_NUMERIC = /^[+-]?infinity$|^nan$/i;
const RANGE: Partial<Record<CastType, [number, number]>> = { int2: [-32768, 32767], int4: [-2147483648, 2147483647] };

/** numeric text → integer, exactly, rounding half away from zero as Postgres does (never through a float). */
function roundDecimalText(text: string): bigint {
  const s = text.trim();
  const d = plainDecimal(s);
  if (d) return roundDiv(d.unscaled, 10n ** BigInt(d.scale));
  const x = Number(s);
  if (!isNumericText(s) || !Number.isFinite(x) || Math.abs(x) >= 2 ** 63) throw new CastFailure(`out of range`);
  return BigInt(roundHalfAway(x));
}

/** Text Postgres reads as a numeric (trimmed): a number, NaN or ±Infinity. */
function isNumericText(s: string): boolean {
  return NUMERIC_LITERAL.test(s) || SPECIAL_NUMERIC.test(s);
}

function parseUuid(s: string): Uint8Array {
  let t = s.trim();
  if (t.startsWith('{') && t.endsWith('}')) t = t.slice(1, -1);
  const hex = t.replace(/-/g, '');
  // Postgres allows a hyphen after any group of four digits: never two in a row, never at either end.
  if (!/^[0-9a-f]{32}$/i.test(hex) || /--|^-|-$/.test(t)) throw new CastFailure();
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

function uuidText(b: Uint8Array): string {
  const h = Buffer.from(b).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

type Convert = (c: unknown) => unknown;

/**
 * The per-cell converter from a column to `target` (throws CastFailure for a value that does not
 * convert), or undefined when no value of the column's type ever could (a schema problem).
 * Conversions follow the expression language's CAST (Postgres rules); numeric columns, which travel
 * as exact text, convert from that text.
 */
function converterFor(cells: ColumnCells, numericText: boolean, target: CastType): Convert | undefined {
  const from = cells.type;
  if (from === 'other') return undefined;
  if (from === 'null') return () => null;
  const via = (to: Parameters<typeof castCell>[2]): Convert | undefined => (castAccepts(from, to) ? (c) => castCell(c as Cell, from, to) : undefined);
  switch (target) {
    case 'int2':
    case 'int4': {
      const base = numericText ? (c: unknown) => Number(roundDecimalText(c as string)) : via('int');
      const [lo, hi] = RANGE[target]!;
      return base && ((c) => {
        const x = base(c) as number;
        if (x < lo || x > hi) throw new CastFailure(`out of range for ${target}`);
        return x;
      });
    }
    case 'int8':
      return numericText
        ? (c) => {
            const x = roundDecimalText(c as string);
            if (x < -(2n ** 63n) || x >= 2n ** 63n) throw new CastFailure('out of range for int8');
            return x;
          }
        : via('bigint');
    case 'float8':
      return via('double');
    case 'float4': {
      const base = via('double');
      return base && ((c) => {
        const x = base(c) as number;
        const f = Math.fround(x);
        if (Number.isFinite(x) && !Number.isFinite(f)) throw new CastFailure('out of range for float4');
        return f;
      });
    }
    case 'numeric':
      if (from === 'str') {
        return (c) => {
          const s = (c as string).trim();
          if (!isNumericText(s)) throw new CastFailure();
          return s;
        };
      }
      return from === 'num' || from === 'int64' ? (c) => (Number.isNaN(c) ? 'NaN' : String(c)) : undefined;
    case 'text':
      return via('text');
    case 'bool':
      return via('bool');
    case 'date': {
      const base = via('date');
      return base && ((c) => (base(c) as number) / DAY);
    }
    case 'timestamp':
    case 'timestamptz':
      return via('timestamp');
    case 'uuid':
      return from === 'str' ? (c) => parseUuid(c as string) : undefined;
    case 'jsonb':
      if (from === 'str') {
        return (c) => {
          try {
            JSON.parse(c as string);
          } catch {
            throw new CastFailure('invalid JSON');
          }
          return c;
        };
      }
      if (from === 'bool' || from === 'int64') return (c) => String(c);
      return from === 'num' ? (c) => (Number.isFinite(c) ? String(c) : failJson()) : undefined;
  }
}

function failJson(): never {
  throw new CastFailure('NaN and Infinity are not JSON');
}

interface ColumnPlan {
  name: string;
  index: number;
  target: CastType;
  field: Field;
  cells: ColumnCells;
  convert: Convert;
}

function plan(batch: RecordBatch, name: string, target: CastType): ColumnPlan {
  const index = columnIndex(batch, name, 'type_cast');
  const source = batch.schema.fields[index]!;
  const data = batch.data.children[index]!;
  const t = source.type;
  const pk = source.metadata.get(FIELD_META_PK_POSITION);
  const meta = new Map([[FIELD_META_PG_TYPE, PG_TYPE[target]], ...(pk ? ([[FIELD_META_PK_POSITION, pk]] as const) : [])]);
  const field = new Field(name, castColumn(target, []).type, true, meta);
  if (DataType.isFixedSizeBinary(t) && t.byteWidth === 16 && (target === 'uuid' || target === 'text')) {
    const cells = columnCells(source, data);
    return { name, index, target, field, cells, convert: target === 'uuid' ? (c) => c : (c) => uuidText(c as Uint8Array) };
  }
  const pgType = source.metadata.get(FIELD_META_PG_TYPE);
  const numericText = (DataType.isUtf8(t) || DataType.isLargeUtf8(t)) && pgType !== undefined && /^numeric\b/i.test(pgType);
  const cells = columnCells(source, data, numericText ? ('str' as ValueType) : undefined);
  const convert = converterFor(cells, numericText, target);
  if (!convert) throw new SynqxError('DATA_ERROR', `type_cast: column "${name}" (${pgType ?? String(t)}) cannot be cast to ${target}`);
  return { name, index, target, field, cells, convert };
}

function reasonFor(p: ColumnPlan, i: number, err: CastFailure): string {
  return `cannot cast ${p.cells.shown(i)} to ${p.target} in column ${p.name}${err.message ? `: ${err.message}` : ''}`;
}

/**
 * Converts columns to Postgres types. NULL stays NULL; a value that does not convert makes its row
 * fail: on_error 'fail' fails the step on the first one (lowest row), 'quarantine' returns those
 * rows unconverted, each with every column that failed in its reason.
 */
export function buildTypeCast(config: TypeCastConfig): TransformFn {
  const entries = Object.entries(config.columns).map(([name, t]) => [name, CAST_TYPE_NAMES[t]!] as const);
  const quarantine = config.on_error === 'quarantine';
  return (batch) => {
    const n = batch.numRows;
    const plans = entries.map(([name, target]) => plan(batch, name, target));
    const values = plans.map(() => new Array<unknown>(n));
    const reasons = new Array<string | undefined>(n);
    let first: { row: number; reason: string } | undefined;
    plans.forEach((p, k) => {
      const out = values[k]!;
      for (let i = 0; i < n; i++) {
        if (p.cells.isNull(i)) {
          out[i] = null;
          continue;
        }
        try {
          out[i] = p.convert(p.cells.get(i));
        } catch (err) {
          if (!(err instanceof CastFailure)) throw err;
          const reason = reasonFor(p, i, err);
          out[i] = null;
          if (!quarantine) {
            if (!first || i < first.row) first = { row: i, reason };
            break;
          }
          reasons[i] = reasons[i] === undefined ? reason : `${reasons[i]}; ${reason}`;
        }
      }
    });
    if (first) throw rowFailure('type_cast', first.row, first.reason);
    const keep = new Uint8Array(n);
    const failed: number[] = [];
    for (let i = 0; i < n; i++) {
      if (reasons[i] === undefined) keep[i] = 1;
      else failed.push(i);
    }
    let out = failed.length === 0 ? batch : filterBatch(batch, keep);
    for (let k = 0; k < plans.length; k++) {
      const p = plans[k]!;
      const kept = failed.length === 0 ? values[k]! : values[k]!.filter((_, i) => keep[i] === 1);
      out = setColumn(out, p.index, p.field, castColumn(p.target, kept));
    }
    if (failed.length === 0) return out;
    return { kept: out, rejected: rejectRows(batch, Int32Array.from(failed), failed.map((i) => reasons[i]!)) };
  };
}
