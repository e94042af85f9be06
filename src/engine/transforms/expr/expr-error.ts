import { SynqxError, validationProblems, type FieldProblem } from '../../../core/errors.js';

/** A problem in an expression, located by a 1-based character position (as Postgres reports them). */
export interface ExpressionProblem extends FieldProblem {
  position: number;
  expected?: string[];
}

/** `a column, a literal, '(' or 'not'`: phrases as they are, tokens quoted. */
function oneOf(items: string[]): string {
  const shown = items.map((x) => (/\s|'/.test(x) ? x : `'${x}'`));
  return shown.length === 1 ? shown[0]! : `${shown.slice(0, -1).join(', ')} or ${shown.at(-1)}`;
}

/**
 * Syntax and type errors in an expression. They are user errors found while validating (VALIDATION_FAILED,
 * answered with 422); `field` is filled in by whoever knows which config key held the expression.
 */
export function expressionError(
  kind: 'expression_syntax' | 'expression_type',
  pos: number,
  message: string,
  expected?: string[],
): SynqxError {
  const position = pos + 1;
  // Say what would have fit, unless the message already does ("expected ')', found …").
  const hint = expected && expected.length > 0 && !/\bexpected\b/.test(message) ? `; expected ${oneOf(expected)}` : '';
  const text = `${message}${hint} (at position ${position})`;
  const problem: ExpressionProblem = { field: 'expression', message: text, error_type: kind, position };
  if (expected) problem.expected = expected;
  return new SynqxError('VALIDATION_FAILED', text, { details: [problem] });
}

/** Re-homes expression problems under the config key that held the expression, e.g. `config.condition`. */
export function atField(err: unknown, field: string): unknown {
  const problems = validationProblems(err);
  if (!problems) return err;
  const details = problems.map((p) => ({ ...p, field }));
  return new SynqxError('VALIDATION_FAILED', `${field}: ${(err as Error).message}`, { details, cause: err });
}
