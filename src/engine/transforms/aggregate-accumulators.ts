import { DataType, Field, Float64, Int64, makeData, Precision, type Data } from 'apache-arrow';
import { FIELD_META_PK_POSITION } from '../../core/data-ports.js';
import { SynqxError } from '../../core/errors.js';
import { DecimalSum } from './aggregate-decimal.js';
import { cellKind, type Cell, type CellKind } from './cells.js';
import { isPgNumeric } from './decimal-text.js';
import { validity } from './row-keys.js';

export type AggregateFn = 'count' | 'sum' | 'min' | 'max' | 'avg';

/**
 * One aggregate's running state per group, with SQL semantics: count(*) counts rows, count(col)
 * non-NULL values; sum/avg/min/max ignore NULLs and give NULL for a group without a value. Sums of
 * integers are exact (int64 result, DATA_ERROR past its range); sums of floats and avg of integers and
 * floats are float64; sum and avg of a PG numeric are exact numeric (aggregate-decimal.ts).
 */
export interface Accumulator {
  readonly field: Field;
  /** Adds one batch: `groups[row]` is the row's group; `groupCount` groups exist now. */
  update(groups: Int32Array, data: Data | undefined, groupCount: number): void;
  result(groupCount: number): Data;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** Below this a float64 still holds any sum of one more 32-bit integer exactly. */
const SAFE = 2 ** 52;

export function accumulator(fn: AggregateFn, as: string, input: Field | undefined, what: string): Accumulator {
  if (fn === 'count') return new Count(as);
  const field = input!;
  if (fn === 'min' || fn === 'max') return new Extreme(fn, as, field, cellKind(field, `${what} ${fn}(${field.name})`));
  const type = field.type;
  if (!isNumericColumn(field)) {
    throw new SynqxError('DATA_ERROR', `${what}: ${fn}(${field.name}) needs a numeric column (integer, float or PG numeric), but "${field.name}" is ${String(type)}`);
  }
  if (isPgNumeric(field)) return new DecimalSum(fn, as, field.name);
  return new Sum(fn, as, DataType.isFloat(type));
}

/** Columns sum and avg take (fill_nulls' mean and median too): integers, floats (not half precision) and PG numeric text. */
export function isNumericColumn(field: Field): boolean {
  const t = field.type;
  if (DataType.isInt(t)) return true;
  if (DataType.isFloat(t)) return t.precision !== Precision.HALF;
  return isPgNumeric(field);
}

function outField(name: string, type: DataType, nullable: boolean): Field {
  return new Field(name, type, nullable);
}

class Count implements Accumulator {
  readonly field: Field;
  private counts: number[] = [];

  constructor(as: string) {
    this.field = outField(as, new Int64(), false);
  }

  update(groups: Int32Array, data: Data | undefined, groupCount: number): void {
    while (this.counts.length < groupCount) this.counts.push(0);
    const valid = data ? validity(data) : undefined;
    const allNull = data !== undefined && DataType.isNull(data.type);
    if (allNull) return;
    for (let i = 0; i < groups.length; i++) if (!valid || valid(i)) this.counts[groups[i]!]!++;
  }

  result(groupCount: number): Data {
    const out = new BigInt64Array(groupCount);
    for (let g = 0; g < groupCount; g++) out[g] = BigInt(this.counts[g] ?? 0);
    return makeData({ type: new Int64(), length: groupCount, nullCount: 0, data: out });
  }
}

class Sum implements Accumulator {
  readonly field: Field;
  private small: number[] = [];
  private big: (bigint | undefined)[] = [];
  private counts: number[] = [];

  constructor(
    private readonly fn: 'sum' | 'avg',
    as: string,
    private readonly float: boolean,
  ) {
    this.field = outField(as, fn === 'sum' && !float ? new Int64() : new Float64(), true);
  }

  update(groups: Int32Array, data: Data | undefined, groupCount: number): void {
    while (this.counts.length < groupCount) {
      this.counts.push(0);
      this.small.push(0);
      this.big.push(undefined);
    }
    const d = data!;
    const valid = validity(d);
    const values = d.values as unknown as ArrayLike<number | bigint>;
    const isBig = values instanceof BigInt64Array || values instanceof BigUint64Array;
    for (let i = 0; i < groups.length; i++) {
      if (valid && !valid(i)) continue;
      const g = groups[i]!;
      this.counts[g]!++;
      if (isBig) {
        this.big[g] = (this.big[g] ?? 0n) + (values[i] as bigint);
        continue;
      }
      const s = (this.small[g] = this.small[g]! + (values[i] as number));
      if (!this.float && (s > SAFE || s < -SAFE)) {
        this.big[g] = (this.big[g] ?? 0n) + BigInt(s);
        this.small[g] = 0;
      }
    }
  }

  result(groupCount: number): Data {
    const bitmap = new Uint8Array(((groupCount + 63) & ~63) >> 3);
    let nulls = 0;
    const intOut = this.fn === 'sum' && !this.float;
    const out = intOut ? new BigInt64Array(groupCount) : new Float64Array(groupCount);
    for (let g = 0; g < groupCount; g++) {
      const n = this.counts[g] ?? 0;
      if (n === 0) {
        nulls++;
        continue;
      }
      bitmap[g >> 3]! |= 1 << (g & 7);
      if (this.float) {
        const total = this.small[g]! + Number(this.big[g] ?? 0n);
        out[g] = this.fn === 'avg' ? total / n : total;
        continue;
      }
      const exact = BigInt(this.small[g]!) + (this.big[g] ?? 0n);
      if (this.fn === 'avg') {
        out[g] = Number(exact) / n;
      } else {
        if (exact < INT64_MIN || exact > INT64_MAX) throw new SynqxError('DATA_ERROR', `aggregate: sum "${this.field.name}" is out of the int64 range (${exact})`);
        out[g] = exact;
      }
    }
    const type = intOut ? new Int64() : new Float64();
    return makeData({ type, length: groupCount, nullCount: nulls, nullBitmap: nulls > 0 ? bitmap : undefined, data: out } as never);
  }
}

class Extreme implements Accumulator {
  readonly field: Field;
  private best: (Cell | null)[] = [];

  constructor(
    private readonly fn: 'min' | 'max',
    as: string,
    input: Field,
    private readonly kind: CellKind,
  ) {
    const metadata = new Map(input.metadata);
    metadata.delete(FIELD_META_PK_POSITION);
    this.field = new Field(as, input.type, true, metadata);
  }

  update(groups: Int32Array, data: Data | undefined, groupCount: number): void {
    while (this.best.length < groupCount) this.best.push(null);
    const read = this.kind.reader(data!);
    const sign = this.fn === 'min' ? -1 : 1;
    for (let i = 0; i < groups.length; i++) {
      const v = read(i);
      if (v === null) continue;
      const g = groups[i]!;
      const cur = this.best[g];
      if (cur === null || cur === undefined || this.kind.compare(v, cur) * sign > 0) this.best[g] = v;
    }
  }

  result(groupCount: number): Data {
    while (this.best.length < groupCount) this.best.push(null);
    return this.kind.toData(this.best);
  }
}
