import type { z } from 'zod';
import { SynqxError, type FieldProblem } from '../../core/errors.js';

type Issue = z.core.$ZodIssue;

/**
 * A union (a key that takes a name, a list or pairs) fails as a whole with "Invalid input"; the
 * alternative that got furthest (its issues reach deepest) says what is actually wrong.
 */
function explain(issue: Issue): Issue[] {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return [issue];
  const depth = (issues: Issue[]) => Math.max(...issues.map((i) => i.path.length));
  const best = issue.errors.reduce((a, b) => (depth(b) > depth(a) ? b : a));
  if (depth(best) === 0) return [issue];
  return best.flatMap((i) => explain({ ...i, path: [...issue.path, ...i.path] } as Issue));
}

/** A zod error's issues, with failed unions replaced by what their closest alternative found. */
export function explainedIssues(error: z.ZodError): Issue[] {
  return error.issues.flatMap(explain);
}

/** Zod issues as API field problems, each under `config.…`. */
export function configProblems(error: z.ZodError): FieldProblem[] {
  return explainedIssues(error).map((issue) => ({
    field: ['config', ...issue.path.map(String)].join('.'),
    message: issue.message,
    error_type: issue.code,
  }));
}

/**
 * Parses a raw transform config, throwing VALIDATION_FAILED with every problem at once. Zod skips an
 * object's refinements as soon as one of its fields fails, so cross-field rules are also passed as
 * `crossChecks`, run on the raw input whatever zod found (duplicates of zod's own issues are dropped).
 */
export function parseConfig<S extends z.ZodType>(
  transform: string,
  schema: S,
  raw: unknown,
  crossChecks?: (raw: unknown) => FieldProblem[],
): z.infer<S> {
  const input = raw ?? {};
  const parsed = schema.safeParse(input);
  const problems = parsed.success ? [] : configProblems(parsed.error);
  for (const p of crossChecks?.(input) ?? []) {
    if (!problems.some((q) => q.field === p.field && q.message === p.message)) problems.push(p);
  }
  if (problems.length > 0 || !parsed.success) throw SynqxError.validation(problems, `invalid config for transform ${transform}`);
  return parsed.data;
}
