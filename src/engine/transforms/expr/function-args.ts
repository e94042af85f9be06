import type { Call } from './ast.js';
import type { Bound } from './compile.js';
import { expressionError } from './expr-error.js';
import { isNumeric, TYPE_NAMES, type ValueType } from './values.js';

/** Checks argument `i` of a call; NULL fits any type. `'number'` accepts num and int64. */
export function expectArg(e: Call, args: Bound[], i: number, want: ValueType | 'number'): void {
  const t = args[i]!.type;
  if (t === 'null' || t === want || (want === 'number' && isNumeric(t))) return;
  const name = want === 'number' ? 'number' : TYPE_NAMES[want];
  throw expressionError('expression_type', e.args[i]!.pos, `argument ${i + 1} of ${e.name}() must be ${name}, got ${TYPE_NAMES[t]}`, [name]);
}

/**
 * An argument that must be known when the expression is bound (a regex pattern, a date_trunc unit), so
 * the work on it is done once. Returns null for a NULL literal (the call is then NULL for every row).
 */
export function constantText(e: Call, args: Bound[], i: number, what: string): string | null {
  const c = args[i]!.constant;
  if (c?.type === 'null' || (c?.type === 'str' && c.value === null)) return null;
  if (c?.type !== 'str') throw expressionError('expression_type', e.args[i]!.pos, `${what} must be a string literal`, ['a string literal']);
  return c.value!;
}
