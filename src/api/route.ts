import type { Context } from 'koa';
import { z } from 'zod';
import { SynqxError, type FieldProblem } from '../core/errors.js';

export type HttpMethod = 'get' | 'post' | 'patch' | 'put' | 'delete';

export interface RouteResult {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  ctx: Context;
}

/**
 * One route: its contract (used to validate requests and to generate the OpenAPI document) next to
 * its handler. `rawBody: true` hands the unparsed JSON to the handler, for endpoints that validate
 * the whole payload themselves so they can report shape and semantic problems in one answer.
 */
export interface RouteSpec<P = any, Q = any, B = any> {
  method: HttpMethod;
  /** Koa-style path relative to the mount point, e.g. `/pipelines/:id`. */
  path: string;
  summary: string;
  tags: string[];
  description?: string;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  rawBody?: boolean;
  /** Response schemas by status code, for the OpenAPI document. */
  responses: Record<number, { description: string; schema?: z.ZodType }>;
  /** Routes marked public are reachable without a bearer token (only /health). */
  public?: boolean;
  handler: (input: RouteInput<P, Q, B>) => Promise<RouteResult> | RouteResult;
}

export function defineRoute<P, Q, B>(spec: RouteSpec<P, Q, B>): RouteSpec<P, Q, B> {
  return spec;
}

/** Turns zod issues into the `{field, message, error_type}` list every 422 carries. */
export function zodProblems(error: z.ZodError, prefix = ''): FieldProblem[] {
  return error.issues.map((i) => ({
    field: [prefix, ...i.path.map(String)].filter((p) => p !== '').join('.') || prefix || '(root)',
    message: i.message,
    error_type: i.code,
  }));
}

/** Validates params, query and body together so a caller learns every problem at once. */
export function parseRouteInput<P, Q, B>(spec: RouteSpec<P, Q, B>, ctx: Context): RouteInput<P, Q, B> {
  const problems: FieldProblem[] = [];
  let params: unknown = ctx.params ?? {};
  let query: unknown = ctx.query ?? {};
  let body: unknown = (ctx.request as { body?: unknown }).body;
  if (spec.params) {
    const r = spec.params.safeParse(params);
    if (r.success) params = r.data;
    else problems.push(...zodProblems(r.error, 'path'));
  }
  if (spec.query) {
    const r = spec.query.safeParse(query);
    if (r.success) query = r.data;
    else problems.push(...zodProblems(r.error, 'query'));
  }
  if (spec.body && !spec.rawBody) {
    const r = spec.body.safeParse(body ?? {});
    if (r.success) body = r.data;
    else problems.push(...zodProblems(r.error));
  }
  if (problems.length > 0) throw SynqxError.validation(problems, describeProblems(problems));
  return { params: params as P, query: query as Q, body: body as B, ctx };
}

export function describeProblems(problems: FieldProblem[]): string {
  const head = problems.slice(0, 3).map((p) => `${p.field}: ${p.message}`);
  const more = problems.length > 3 ? ` (and ${problems.length - 3} more)` : '';
  return `validation failed: ${head.join('; ')}${more}`;
}

/** Positive integer ids in paths; anything else is a 422 on the path field. */
export const idParam = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);
