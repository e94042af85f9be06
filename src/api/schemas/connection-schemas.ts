import { z } from 'zod';
import { SynqxError, type FieldProblem } from '../../core/errors.js';
import { describeProblems, idParam, zodProblems } from '../route.js';

/** Request and response schemas of the connection and asset routes (they also generate /openapi.json). */

const name = z.string().trim().min(1).max(255);
const description = z.string().max(10_000).nullable().optional();
const tags = z
  .union([z.record(z.string(), z.unknown()), z.array(z.string().max(255))])
  .describe('free-form labels: an object or a list of strings');
const configObject = z.record(z.string(), z.unknown());
const MASK_NOTE = 'secret fields (password, dsn) are answered as "********"';

export const connectionIdParams = z.object({ id: idParam });
export const assetIdParams = z.object({ id: idParam, aid: idParam });

export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});
export const connectionListQuery = pageQuery.extend({ connector_type: z.string().min(1).optional() });

export const createConnectionBody = z
  .object({
    name,
    connector_type: z.string().min(1).describe('"postgresql" (alias "postgres")'),
    description,
    tags: tags.optional(),
    config: configObject.describe(
      'postgresql: {host, port=5432, database, username, password?, db_schema="public", sslmode?, connect_timeout_seconds?} or {dsn, db_schema?, sslmode?, connect_timeout_seconds?}',
    ),
  })
  .strict();

export const updateConnectionBody = z
  .object({
    name: name.optional(),
    description,
    tags: tags.optional(),
    config: configObject
      .describe('merged into the stored config: keys sent replace, keys omitted stay, null removes a key, "********" keeps the stored secret')
      .optional(),
  })
  .strict();

export const discoverBody = z
  .object({
    schema: z.string().min(1).max(63).optional().describe("defaults to the connection's db_schema"),
    include_views: z.boolean().default(false),
    create_assets: z.boolean().default(false).describe('register discovered tables not yet registered as assets'),
  })
  .strict();

const assetType = z.enum(['table', 'view', 'query']);
const assetConfig = configObject.describe(
  'postgresql: {columns?, where?, query?, write_mode=append|truncate|replace|upsert, upsert_keys?, create_if_missing=true, batch_rows?, batch_bytes?, commit_every_rows?}',
);

export const createAssetBody = z
  .object({
    name,
    asset_type: assetType.default('table'),
    fully_qualified_name: z.string().min(1).max(511).nullable().optional().describe('default "<db_schema>.<name>" (null for query assets)'),
    is_source: z.boolean().default(true),
    is_destination: z.boolean().default(false),
    is_incremental_capable: z.boolean().default(false),
    config: assetConfig.default({}),
    description,
  })
  .strict();

export const updateAssetBody = z
  .object({
    name: name.optional(),
    asset_type: assetType.optional(),
    fully_qualified_name: z.string().min(1).max(511).nullable().optional(),
    is_source: z.boolean().optional(),
    is_destination: z.boolean().optional(),
    is_incremental_capable: z.boolean().optional(),
    config: assetConfig.describe('merged into the stored options; null removes a key').optional(),
    description,
  })
  .strict();

// Responses

const timestamp = z.string().describe('ISO 8601 timestamp');

export const connectionSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  connector_type: z.string(),
  description: z.string().nullable(),
  tags: z.unknown(),
  config: configObject.describe(MASK_NOTE),
  health_status: z.enum(['unknown', 'healthy', 'unhealthy']),
  last_test_at: timestamp.nullable(),
  created_at: timestamp,
  updated_at: timestamp,
});

export const connectionListSchema = z.object({
  connections: z.array(connectionSchema),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
});

export const testResultSchema = z.object({
  success: z.boolean(),
  message: z.string().describe("the server's answer or error text (secrets removed)"),
  latency_ms: z.number(),
  details: z.record(z.string(), z.unknown()),
});

export const assetSchema = z.object({
  id: z.number().int(),
  connection_id: z.number().int(),
  name: z.string(),
  asset_type: assetType,
  fully_qualified_name: z.string().nullable(),
  is_source: z.boolean(),
  is_destination: z.boolean(),
  is_incremental_capable: z.boolean(),
  config: configObject,
  schema_metadata: z.unknown().describe('columns, primary key and size as last discovered'),
  description: z.string().nullable(),
  created_at: timestamp,
  updated_at: timestamp,
});

export const assetListSchema = z.object({
  assets: z.array(assetSchema),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
});

export const discoveredAssetSchema = z.object({
  name: z.string(),
  type: z.enum(['table', 'view']),
  schema: z.string(),
  row_count: z.number().nullable().describe('planner estimate'),
  size_bytes: z.number().nullable(),
  columns: z.array(z.object({ name: z.string(), type: z.string(), nullable: z.boolean(), default: z.string().optional() })),
  primary_key: z.array(z.string()),
});

export const discoverResultSchema = z.object({
  discovered_count: z.number().int(),
  assets: z.array(discoveredAssetSchema),
  created_count: z.number().int(),
  created_assets: z.array(assetSchema),
});

export const errorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional(), request_id: z.string().optional() }),
});

/**
 * Validates a whole request body and, in the same answer, problems only the service can see (a
 * connector's config schema), so one 422 lists every problem.
 */
export async function validateBody<T>(
  schema: z.ZodType<T>,
  raw: unknown,
  more: (body: Record<string, unknown>) => FieldProblem[] | Promise<FieldProblem[]>,
): Promise<T> {
  const body = raw ?? {};
  const r = schema.safeParse(body);
  const problems: FieldProblem[] = r.success ? [] : zodProblems(r.error);
  if (typeof body === 'object' && !Array.isArray(body)) {
    const seen = new Set(problems.map((p) => p.field));
    for (const p of await more(body as Record<string, unknown>)) if (!seen.has(p.field)) problems.push(p);
  } else if (r.success) {
    problems.push({ field: '(root)', message: 'expected a JSON object', error_type: 'invalid_type' });
  }
  if (problems.length > 0 || !r.success) throw SynqxError.validation(problems, describeProblems(problems));
  return r.data;
}
