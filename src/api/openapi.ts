import { z } from 'zod';
import type { RouteSpec } from './route.js';

type JsonSchema = Record<string, unknown>;

const errorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.unknown().optional(),
    request_id: z.string().optional(),
  }),
});

function toSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const s = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
  delete s.$schema;
  return s;
}

function parametersOf(schema: z.ZodType | undefined, location: 'path' | 'query'): unknown[] {
  if (!schema) return [];
  const json = toSchema(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({
    name,
    in: location,
    required: location === 'path' || (json.required ?? []).includes(name),
    schema: s,
    ...(typeof s.description === 'string' ? { description: s.description } : {}),
  }));
}

/** OpenAPI 3.1 built from the same zod schemas that validate requests, so the two cannot drift. */
export interface NamedSchema {
  name: string;
  description: string;
  schema: z.ZodType;
}

export function buildOpenApi(routes: RouteSpec[], info: { version: string }, extraSchemas: NamedSchema[] = []): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.path.replace(/:(\w+)/g, '{$1}');
    const responses: Record<string, unknown> = {};
    for (const [code, resp] of Object.entries(r.responses)) {
      responses[code] = resp.schema
        ? { description: resp.description, content: { 'application/json': { schema: toSchema(resp.schema, 'output') } } }
        : { description: resp.description };
    }
    if (r.body || r.params || r.query) {
      responses['422'] ??= { description: 'validation failed (every problem listed)', content: { 'application/json': { schema: toSchema(errorBody, 'output') } } };
    }
    if (!r.public) responses['401'] ??= { description: 'missing or invalid bearer token (when API_TOKENS is set)' };
    const op: Record<string, unknown> = {
      operationId: `${r.method}_${path.replace(/[^\w]+/g, '_').replace(/^_|_$/g, '')}`,
      summary: r.summary,
      tags: r.tags,
      parameters: [...parametersOf(r.params, 'path'), ...parametersOf(r.query, 'query')],
      responses,
    };
    if (r.description) op.description = r.description;
    if (r.body) op.requestBody = { required: true, content: { 'application/json': { schema: toSchema(r.body, 'input') } } };
    if (r.public) op.security = [];
    (paths[path] ??= {})[r.method] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'SynqX API',
      version: info.version,
      description: 'Streaming ETL engine: connections, assets, versioned pipelines and their runs.',
    },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Error: toSchema(errorBody, 'output'),
        ...Object.fromEntries(extraSchemas.map((x) => [x.name, { ...toSchema(x.schema, 'input'), description: x.description }])),
      },
    },
    security: [{ bearer: [] }],
    paths,
  };
}
