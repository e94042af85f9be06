import { DataType, type Field } from 'apache-arrow';
import { FIELD_META_PG_TYPE } from '../../core/data-ports.js';
import { SynqxError } from '../../core/errors.js';

// Exact arithmetic on Postgres numeric values, which travel as text: fill_nulls' mean and median and
// aggregate's sum and avg of a numeric column must not go through a float.

/** A recorded Postgres type (FIELD_META_PG_TYPE) that is numeric: `numeric`, `numeric(p,s)` or its alias decimal. */
export function isNumericPgType(pgType: string): boolean {
  return /^(numeric|decimal)\b/i.test(pgType);
}

/** A Postgres numeric column: text on the wire (Utf8), tagged with its type. */
export function isPgNumeric(field: Field): boolean {
  return DataType.isUtf8(field.type) && isNumericPgType(field.metadata.get(FIELD_META_PG_TYPE) ?? '');
}

/** x rounded to an integer half away from zero (Postgres' rounding), for a float. */
export function roundHalfAway(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}

/** a / b (b > 0) rounded half away from zero. */
export function roundDiv(a: bigint, b: bigint): bigint {
  const q = ((a < 0n ? -a : a) * 2n + b) / (2n * b);
  return a < 0n ? -q : q;
}

/** A PG numeric's text: NaN, ±Infinity, or an exact value `unscaled` × 10^-scale. */
export type Decimal = { special: 'NaN' | 'Infinity' | '-Infinity' } | { special?: undefined; unscaled: bigint; scale: number };

export type FiniteDecimal = Extract<Decimal, { unscaled: bigint }>;

/** Numeric text in Postgres' input syntax, NaN and Infinity aside: digits, an optional point, an optional exponent. */
export const NUMERIC_LITERAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?$/;

/** Plain decimal text (`-12.50`, `5.`, `.5`; no exponent, no NaN or Infinity, no blanks), else undefined. */
export function plainDecimal(s: string): FiniteDecimal | undefined {
  const m = DECIMAL.exec(s);
  if (!m || (m[2] === '' && !m[3])) return undefined;
  const frac = m[3] ?? '';
  const unscaled = BigInt(`${m[2]}${frac}` || '0');
  return { unscaled: m[1] === '-' ? -unscaled : unscaled, scale: frac.length };
}

export function parseDecimal(text: string, what: string): Decimal {
  const s = text.trim();
  if (s === 'NaN' || s === 'Infinity' || s === '-Infinity') return { special: s };
  const d = plainDecimal(s);
  if (!d) throw new SynqxError('DATA_ERROR', `${what} is numeric but holds ${JSON.stringify(text)}, which is not a number`);
  return d;
}

/** a + b exactly, at the larger of their scales. */
export function addDecimal(a: FiniteDecimal, b: FiniteDecimal): FiniteDecimal {
  const scale = Math.max(a.scale, b.scale);
  return { unscaled: a.unscaled * 10n ** BigInt(scale - a.scale) + b.unscaled * 10n ** BigInt(scale - b.scale), scale };
}

/** `unscaled` × 10^-scale as text, trailing fraction zeros dropped down to `keep` digits. */
export function formatDecimal(unscaled: bigint, scale: number, keep: number): string {
  const neg = unscaled < 0n;
  let digits = (neg ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  let frac = digits.slice(digits.length - scale);
  digits = digits.slice(0, digits.length - scale);
  let end = frac.length;
  while (end > keep && frac[end - 1] === '0') end--;
  frac = frac.slice(0, end);
  const text = frac ? `${digits}.${frac}` : digits;
  return neg && /[1-9]/.test(text) ? `-${text}` : text;
}

/** NaN, or an infinity, when one decides the result (as in Postgres: Infinity + -Infinity is NaN). */
export function specialOf(values: readonly Decimal[]): string | undefined {
  const specials = new Set(values.flatMap((v) => (v.special ? [v.special] : [])));
  if (specials.size === 0) return undefined;
  if (specials.has('NaN') || specials.size === 2) return 'NaN';
  return [...specials][0];
}
