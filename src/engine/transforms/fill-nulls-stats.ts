import { DataType, type Data, type Field } from 'apache-arrow';
import { SynqxError } from '../../core/errors.js';
import { cellKind, compareDecimalText } from './cells.js';
import { addDecimal, formatDecimal, isPgNumeric, parseDecimal, roundDiv, roundHalfAway, specialOf, type FiniteDecimal } from './decimal-text.js';
import { valueEncoder } from './row-keys.js';
import { takeData } from './take.js';

/**
 * The whole-run statistics fill_nulls' mean, median and mode strategies put in place of NULL. Each
 * returns the fill as a one-row column of the column's own type (so it is gathered into the output
 * like any other cell, exactly), or undefined when the column has no non-NULL value.
 *
 * Integers are summed exactly (bigint), and a mean or median that falls between two integers is
 * rounded half away from zero, as type_cast and Postgres round. Floats follow Postgres: NaN is a value
 * (a mean with one is NaN; it sorts above every other value). A PG numeric (text on the wire) is
 * averaged exactly in decimal.
 */
export type WholeRunStrategy = 'mean' | 'median' | 'mode';

export function columnFill(strategy: WholeRunStrategy, field: Field, chunks: readonly Data[]): Data | undefined {
  if (strategy === 'mode') return modeFill(field, chunks);
  const kind = cellKind(field, 'fill_nulls');
  const values: (number | bigint | string)[] = [];
  for (const data of chunks) {
    const read = kind.reader(data);
    for (let i = 0; i < data.length; i++) {
      const v = read(i);
      if (v !== null) values.push(v as number | bigint | string);
    }
  }
  if (values.length === 0) return undefined;
  const t = field.type;
  let fill: number | bigint | string;
  if (DataType.isInt(t)) fill = strategy === 'mean' ? intMean(values as (number | bigint)[]) : intMedian(values as (number | bigint)[], t);
  else if (DataType.isFloat(t)) fill = strategy === 'mean' ? floatMean(values as number[]) : floatMedian(values as number[]);
  else fill = strategy === 'mean' ? decimalMean(values as string[], field.name) : decimalMedian(values as string[], field.name);
  return kind.toData([fill]);
}

/** The most frequent non-NULL value (SQL equality; PG numeric by value, so 1.5 = 1.50); ties: the one seen first. */
function modeFill(field: Field, chunks: readonly Data[]): Data | undefined {
  const numeric = isPgNumeric(field);
  const what = `fill_nulls: column "${field.name}"`;
  const counts = new Map<string, { count: number; first: number; chunk: number; row: number }>();
  let best: { count: number; first: number; chunk: number; row: number } | undefined;
  let seen = 0;
  chunks.forEach((data, chunk) => {
    const encode = valueEncoder(data);
    for (let row = 0; row < data.length; row++, seen++) {
      const raw = encode(row);
      if (raw === null) continue;
      const key = numeric ? canonicalDecimal(raw, what) : raw;
      let entry = counts.get(key);
      if (!entry) counts.set(key, (entry = { count: 0, first: seen, chunk, row }));
      entry.count++;
      // Only this entry grew, so comparing it with the leader keeps the leader right.
      if (!best || entry.count > best.count || (entry.count === best.count && entry.first < best.first)) best = entry;
    }
  });
  return best && takeData(chunks[best.chunk]!, Int32Array.of(best.row));
}

function intMean(values: readonly (number | bigint)[]): number | bigint {
  let total = 0n;
  let partial = 0;
  let inPartial = 0;
  const wide = typeof values[0] === 'bigint';
  for (const v of values) {
    if (wide) {
      total += v as bigint;
      continue;
    }
    // Up to 2^20 values of at most 2^32 each stay below 2^53: exact as a double, one BigInt per chunk.
    partial += v as number;
    if (++inPartial === 1 << 20) {
      total += BigInt(partial);
      partial = 0;
      inPartial = 0;
    }
  }
  total += BigInt(partial);
  const mean = roundDiv(total, BigInt(values.length));
  return wide ? mean : Number(mean);
}

function intMedian(values: readonly (number | bigint)[], type: DataType): number | bigint {
  const n = values.length;
  const mid = n >> 1;
  if (typeof values[0] === 'bigint') {
    // Typed arrays sort numerically, without a comparator call per pair.
    const Sorted = (type as { isSigned?: boolean }).isSigned === false ? BigUint64Array : BigInt64Array;
    const sorted = Sorted.from(values as bigint[]).sort();
    if (n % 2 === 1) return sorted[mid]!;
    return roundDiv(sorted[mid - 1]! + sorted[mid]!, 2n);
  }
  const sorted = Float64Array.from(values as number[]).sort();
  return n % 2 === 1 ? sorted[mid]! : roundHalfAway((sorted[mid - 1]! + sorted[mid]!) / 2);
}

function floatMean(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

function floatMedian(values: readonly number[]): number {
  // A Float64Array sorts numerically with NaN last: Postgres' order, where NaN is above everything.
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : sorted[mid - 1]! / 2 + sorted[mid]! / 2;
}

/** Equal numerics give equal keys: 1.5, 1.50 and +01.5 are one value. */
function canonicalDecimal(text: string, what: string): string {
  const d = parseDecimal(text, what);
  return d.special ?? formatDecimal(d.unscaled, d.scale, 0);
}

/**
 * The exact mean rounded to 16 decimals, printed without the trailing zeros past the column's own
 * scale: the mean of 1.50 and 2.50 is 2.00. (Not Postgres' avg(numeric) scale, which aggregate's avg
 * follows: for values of 10^4 and more Postgres keeps fewer decimals.)
 */
function decimalMean(texts: readonly string[], column: string): string {
  const what = `fill_nulls: column "${column}"`;
  const values = texts.map((t) => parseDecimal(t, what));
  const special = specialOf(values);
  if (special) return special;
  const finite = values as FiniteDecimal[];
  const { unscaled: sum, scale } = finite.reduce(addDecimal, { unscaled: 0n, scale: 0 });
  const out = Math.max(scale, 16);
  return formatDecimal(roundDiv(sum * 10n ** BigInt(out - scale), BigInt(finite.length)), out, scale);
}

function decimalMedian(texts: readonly string[], column: string): string {
  const what = `fill_nulls: column "${column}"`;
  texts.forEach((t) => parseDecimal(t, what));
  const sorted = texts.slice().sort(compareDecimalText);
  const mid = sorted.length >> 1;
  if (sorted.length % 2 === 1) return sorted[mid]!;
  const pair = [parseDecimal(sorted[mid - 1]!, what), parseDecimal(sorted[mid]!, what)];
  const special = specialOf(pair);
  if (special) return special;
  const { unscaled: sum, scale } = addDecimal(pair[0] as FiniteDecimal, pair[1] as FiniteDecimal);
  // Half of a sum at one more decimal is exact.
  return formatDecimal(sum * 5n, scale + 1, scale);
}
