import type { FieldProblem } from '../core/errors.js';

const REF = /\$(\$)?\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Replaces `${NAME}` with the environment variable NAME in every string under `value` (`$${NAME}`
 * stays a literal `${NAME}`), so pipeline files can name their secrets instead of holding them.
 * Inside a `dsn`, a reference that is only part of the URL is percent-encoded: a password with `@`
 * or `/` then still parses; a reference that is the whole DSN is inserted as it is. A variable that
 * is not set is a problem at that field (an empty value is allowed).
 */
export function expandEnvDeep(value: unknown, env: NodeJS.ProcessEnv, field: string, problems: FieldProblem[]): unknown {
  if (typeof value === 'string') return expandString(value, env, field, problems);
  if (Array.isArray(value)) return value.map((v, i) => expandEnvDeep(v, env, `${field}.${i}`, problems));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expandEnvDeep(v, env, `${field}.${k}`, problems)]));
  }
  return value;
}

function expandString(s: string, env: NodeJS.ProcessEnv, field: string, problems: FieldProblem[]): string {
  const inUrl = field.endsWith('.dsn');
  const whole = /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(s);
  return s.replace(REF, (match, escaped: string | undefined, name: string) => {
    if (escaped) return match.slice(1);
    const v = env[name];
    if (v === undefined) {
      problems.push({ field, message: `environment variable ${name} is not set`, error_type: 'missing_env' });
      return '';
    }
    return inUrl && !whole ? encodeURIComponent(v) : v;
  });
}
