/**
 * Names and arities of the built-in functions. Kept apart from their kernels so the parser can reject an
 * unknown name or a wrong argument count at parse time (validation), with the position.
 */
export const FUNCTION_ARITY: Readonly<Record<string, readonly [min: number, max: number]>> = {
  coalesce: [1, Infinity],
  now: [0, 0],
  lower: [1, 1],
  upper: [1, 1],
  trim: [1, 1],
  length: [1, 1],
  substr: [2, 3],
  substring: [2, 3],
  concat: [1, Infinity],
  replace: [3, 3],
  regexp_replace: [3, 4],
  abs: [1, 1],
  round: [1, 2],
  floor: [1, 1],
  ceil: [1, 1],
  ceiling: [1, 1],
  date_trunc: [2, 2],
  extract: [2, 2],
  date_part: [2, 2],
};

export function arityText([min, max]: readonly [number, number]): string {
  if (max === Infinity) return `at least ${min} argument${min === 1 ? '' : 's'}`;
  if (min === max) return `${min} argument${min === 1 ? '' : 's'}`;
  return `${min} to ${max} arguments`;
}
