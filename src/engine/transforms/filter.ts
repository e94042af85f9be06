import { z } from 'zod';
import { SynqxError, validationProblems, type FieldProblem } from '../../core/errors.js';
import { atField } from './expr/expr-error.js';
import { Expression } from './expr/expression.js';
import type { Dialect } from './expr/tokenizer.js';
import { filterBatch } from './take.js';
import type { TransformFn } from './transform.js';

export const filterConfigSchema = z.object({ condition: z.string().min(1) }).strict();

export type FilterConfig = z.infer<typeof filterConfigSchema>;

/** Parses `source` once; syntax errors are reported under `field` (e.g. `config.condition`). */
export function parseCondition(source: string, field: string, dialect: Dialect = 'sql'): Expression {
  try {
    return Expression.parse(source, dialect);
  } catch (err) {
    throw atField(err, field);
  }
}

/** Several expressions (derive's columns): every syntax error of every one in a single VALIDATION_FAILED. */
export function parseConditions(sources: readonly (readonly [field: string, source: string])[]): Expression[] {
  const problems: FieldProblem[] = [];
  const parsed = sources.map(([field, source]) => {
    try {
      return parseCondition(source, field);
    } catch (err) {
      const found = validationProblems(err);
      if (!found) throw err;
      problems.push(...found);
      return undefined;
    }
  });
  if (problems.length > 0) throw SynqxError.validation(problems, problems.map((p) => `${p.field}: ${p.message}`).join('; '));
  return parsed as Expression[];
}

/** Keeps the rows where the condition is true; false and NULL drop the row (SQL WHERE). */
export function filterWith(expr: Expression): TransformFn {
  return (batch, ctx) => {
    if (batch.numRows === 0) {
      // Still type-check, so a bad column reference fails before any data moves.
      expr.bindPredicate(batch.schema);
      return batch;
    }
    return filterBatch(batch, expr.predicateMask(batch, ctx));
  };
}

export function buildFilter(config: FilterConfig): TransformFn {
  return filterWith(parseCondition(config.condition, 'config.condition'));
}
