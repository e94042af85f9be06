import type { z } from 'zod';
import { SynqxError, type FieldProblem } from '../../core/errors.js';

/** Zod issues as API field problems, each under `config.…`. */
export function configProblems(error: z.ZodError): FieldProblem[] {
  return error.issues.map((issue) => ({
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
