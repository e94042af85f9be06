import { rowDataError } from './cells.js';
import type { EvalFrame } from './compile.js';
import { expressionError } from './expr-error.js';
import { INTEGER_NAMES, type IntegerType } from './sql-types.js';
import type { Val } from './values.js';

/** [min, limit): half-open, because int8's maximum 2^63 - 1 is not a float64, while 2^63 is. */
const INTEGER_RANGE: Readonly<Record<IntegerType, readonly [min: number, limit: number]>> = {
  int2: [-(2 ** 15), 2 ** 15],
  int4: [-(2 ** 31), 2 ** 31],
  int8: [-(2 ** 63), 2 ** 63],
};

/** int8's exact ends, for values held as bigint. */
export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

export function inIntegerRange(x: number, type: IntegerType): boolean {
  const [min, limit] = INTEGER_RANGE[type];
  return x >= min && x < limit;
}

/**
 * Integer arithmetic runs in float64 (exact for every int4 and every int8 up to 2^53), so a result
 * past its type's range is not wrapped but noticed here: Postgres raises "integer out of range" at
 * the operator (`2147483647 + 1` on int4 fails), and so does this, rather than quietly widening.
 *
 * Returns `v` unchanged, or throws for the first row whose value is outside `type`'s range.
 */
export function checkIntegerRange(v: Val, type: IntegerType, f: EvalFrame, pos: number): Val {
  const message = `${INTEGER_NAMES[type]} out of range`;
  if (v.s) {
    // Only constants are scalars here (a column is a vector), so this is found while binding.
    if (typeof v.value === 'number' && !inIntegerRange(v.value, type)) throw expressionError('expression_type', pos, message);
    return v;
  }
  if (v.type !== 'num') return v;
  const { values, valid } = v;
  const [min, limit] = INTEGER_RANGE[type];
  for (let i = 0; i < f.n; i++) {
    const x = values[i]!;
    if ((x < min || x >= limit) && (!valid || valid[i])) {
      throw rowDataError(f, i, pos, `${message}: ${x}`, String(x));
    }
  }
  return v;
}
