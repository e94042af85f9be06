import { Field, makeVector, Utf8, type Data } from 'apache-arrow';
import { FIELD_META_PG_TYPE } from '../../core/data-ports.js';
import type { Accumulator } from './aggregate-accumulators.js';
import { utf8Data } from './column-data.js';
import { addDecimal, formatDecimal, parseDecimal, roundDiv, specialOf, type Decimal } from './decimal-text.js';
import { validity } from './row-keys.js';

interface GroupSum {
  /** Exact sum × 10^scale. */
  unscaled: bigint;
  scale: number;
  count: number;
  /** NaN or an infinity seen: it decides the result, as in Postgres. */
  specials: Decimal[];
}

/**
 * sum and avg of a PG numeric column, exactly (money must not pass through a float). The result is
 * numeric text like Postgres': sum keeps the largest input scale; avg has the scale Postgres'
 * division picks (at least 16 significant digits, at least the inputs' scale), rounded half away from zero.
 */
export class DecimalSum implements Accumulator {
  readonly field: Field;
  private groups: (GroupSum | undefined)[] = [];

  constructor(
    private readonly fn: 'sum' | 'avg',
    as: string,
    private readonly column: string,
  ) {
    this.field = new Field(as, new Utf8(), true, new Map([[FIELD_META_PG_TYPE, 'numeric']]));
  }

  update(groups: Int32Array, data: Data | undefined): void {
    const d = data!;
    const valid = validity(d);
    const values = makeVector(d);
    const what = `aggregate: column "${this.column}"`;
    for (let i = 0; i < groups.length; i++) {
      if (valid && !valid(i)) continue;
      const g = groups[i]!;
      const acc = (this.groups[g] ??= { unscaled: 0n, scale: 0, count: 0, specials: [] });
      acc.count++;
      const v = parseDecimal(values.get(i) as string, what);
      if (v.special) {
        // One of each is all specialOf needs: a NaN-heavy group must not grow a list per row.
        if (!acc.specials.some((s) => s.special === v.special)) acc.specials.push(v);
        continue;
      }
      const sum = addDecimal(acc, v);
      acc.unscaled = sum.unscaled;
      acc.scale = sum.scale;
    }
  }

  result(groupCount: number): Data {
    const out: (string | null)[] = [];
    for (let g = 0; g < groupCount; g++) {
      const acc = this.groups[g];
      if (!acc || acc.count === 0) out.push(null);
      else out.push(specialOf(acc.specials) ?? (this.fn === 'sum' ? formatDecimal(acc.unscaled, acc.scale, acc.scale) : average(acc)));
    }
    return utf8Data(out);
  }
}

function average(acc: GroupSum): string {
  const rscale = divisionScale(acc.unscaled, acc.scale, BigInt(acc.count));
  const q = roundDiv(acc.unscaled * 10n ** BigInt(rscale - acc.scale), BigInt(acc.count));
  return formatDecimal(q, rscale, rscale);
}

/** Postgres' select_div_scale for `unscaled` × 10^-scale divided by a positive integer. */
function divisionScale(unscaled: bigint, scale: number, divisor: bigint): number {
  const [w1, d1] = leadingGroup(unscaled < 0n ? -unscaled : unscaled, scale);
  const [w2, d2] = leadingGroup(divisor, 0);
  // Postgres assumes the quotient's first digit is smaller when the leading base-10000 digits compare so.
  const qweight = w1 - w2 - (d1 <= d2 ? 1 : 0);
  return Math.min(Math.max(16 - qweight * 4, scale, 0), 1000);
}

/** Weight and value of the first non-zero base-10000 digit (Postgres' NumericVar layout), 0/0 for zero. */
function leadingGroup(abs: bigint, scale: number): [weight: number, digit: number] {
  if (abs === 0n) return [0, 0];
  const text = abs.toString().padStart(scale + 1, '0');
  const int = text.slice(0, text.length - scale);
  const frac = text.slice(text.length - scale);
  const intDigits = int.replace(/^0+/, '');
  if (intDigits !== '') {
    const head = intDigits.length % 4 || 4;
    return [Math.ceil(intDigits.length / 4) - 1, Number(intDigits.slice(0, head))];
  }
  const padded = frac.padEnd(Math.ceil(frac.length / 4) * 4, '0');
  for (let i = 0; i < padded.length; i += 4) {
    const digit = Number(padded.slice(i, i + 4));
    if (digit !== 0) return [-(i / 4) - 1, digit];
  }
  return [0, 0];
}
