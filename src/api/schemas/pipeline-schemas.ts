import { z } from 'zod';
import {
  NODE_ID_PATTERN,
  OPERATOR_TYPES,
  PIPELINE_STATUSES,
  type CreatePipelineInput,
  type NewVersionInput,
  type PipelineUpdate,
} from '../../core/pipeline.js';
import { CRON_MAX_LENGTH } from '../../core/cron.js';
import type { BodyCheck } from '../../services/pipeline-validation.js';
import { idParam, zodProblems } from '../route.js';

/**
 * Request and response schemas of the pipeline routes (they also generate /openapi.json). Shapes
 * follow the original SynqX: unknown keys in create bodies are ignored as the original did, but
 * operator types are a closed list. Semantic checks (graph, assets, cron) live in the service.
 */

const INT4_MAX = 2_147_483_647;
const assetId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const jsonObject = z.record(z.string(), z.unknown());
const tags = z
  .union([jsonObject, z.array(z.string().max(255))])
  .describe('free-form labels: an object or a list of strings');

export const nodeBody = z.object({
  node_id: z
    .string()
    .regex(NODE_ID_PATTERN, 'node_id may contain only letters, digits, "-" and "_" (1 to 128 characters)')
    .describe('unique within the version; edges refer to it'),
  name: z.string().min(1).max(255),
  description: z.string().max(5000).nullish(),
  operator_type: z.enum(OPERATOR_TYPES, { error: `operator_type must be one of ${OPERATOR_TYPES.join(', ')}` }),
  operator_class: z
    .string()
    .min(1)
    .max(255)
    .describe('extract/load: a connector type ("postgresql"); otherwise a transform name ("pandas_transform", "filter", "map", "noop")'),
  config: jsonObject.default({}).describe("transforms: checked against the transform's schema"),
  order_index: z.number().int().min(-INT4_MAX).max(INT4_MAX).default(0).describe('tie-break of the execution order'),
  source_asset_id: assetId.nullish().describe('required for extract nodes'),
  destination_asset_id: assetId.nullish().describe('required for load nodes'),
  max_retries: z.number().int().min(0).max(100).default(3),
  timeout_seconds: z.number().int().positive().max(INT4_MAX).nullish(),
});

export const edgeBody = z.object({
  from_node_id: z.string().min(1).max(255),
  to_node_id: z.string().min(1).max(255),
  edge_type: z.string().min(1).max(50).default('data_flow'),
});

export const versionBody = z.object({
  config_snapshot: jsonObject.default({}),
  change_summary: z.union([jsonObject, z.string().max(5000)]).nullish(),
  version_notes: z.string().max(5000).nullish(),
  nodes: z.array(nodeBody).max(1000),
  edges: z.array(edgeBody).max(10_000).default([]),
});

export const newVersionBody = versionBody.extend({
  publish: z.boolean().default(false).describe('publish the new version at once (it becomes the one runs use)'),
});

const pipelineFields = {
  name: z.string().trim().min(1).max(255).describe('unique among non-archived pipelines (case-insensitive)'),
  description: z.string().max(5000).nullish(),
  schedule_cron: z.string().max(CRON_MAX_LENGTH).nullish().describe('5 fields (minute first) or 6 (seconds first), or @daily-style aliases'),
  schedule_enabled: z.boolean(),
  schedule_timezone: z.string().min(1).max(64).describe('IANA time zone the cron expression is read in'),
  max_parallel_runs: z.number().int().min(1).max(100),
  execution_timeout_seconds: z.number().int().positive().max(INT4_MAX).nullish(),
  tags: tags.nullish(),
  priority: z.number().int().min(1).max(10),
};

export const createPipelineBody = z.object({
  ...pipelineFields,
  schedule_enabled: pipelineFields.schedule_enabled.default(false),
  schedule_timezone: pipelineFields.schedule_timezone.default('UTC'),
  max_parallel_runs: pipelineFields.max_parallel_runs.default(1),
  priority: pipelineFields.priority.default(5),
  initial_version: versionBody,
});

export const updatePipelineBody = z
  .object({
    name: pipelineFields.name.optional(),
    description: pipelineFields.description,
    schedule_cron: pipelineFields.schedule_cron,
    schedule_enabled: pipelineFields.schedule_enabled.optional(),
    schedule_timezone: pipelineFields.schedule_timezone.optional(),
    max_parallel_runs: pipelineFields.max_parallel_runs.optional(),
    execution_timeout_seconds: pipelineFields.execution_timeout_seconds,
    tags: pipelineFields.tags,
    priority: pipelineFields.priority.optional(),
    status: z.enum(['active', 'paused']).optional().describe('archive with DELETE; PATCH status "active" restores an archived pipeline'),
  })
  .strict()
  .describe('pipeline fields only; the graph changes through POST /pipelines/{id}/versions');

export const validateRequestBody = versionBody
  .partial()
  .extend({ version_id: z.number().int().positive().optional().describe('a stored version to validate (default: the published one)') })
  .describe('empty: validate the published version; {version_id}: that version; a version body (nodes, edges): that candidate');

// The service works on core types; these assignments fail to compile if the schemas drift from them.
const _create: z.ZodType<CreatePipelineInput, any> = createPipelineBody;
const _version: z.ZodType<NewVersionInput, any> = newVersionBody;
const _update: z.ZodType<PipelineUpdate, any> = updatePipelineBody;
void _create;
void _version;
void _update;

export const pipelineIdParams = z.object({ id: idParam });
export const versionIdParams = z.object({ id: idParam, vid: idParam });

export const pipelineListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
  status: z.enum(PIPELINE_STATUSES).optional().describe('archived pipelines are listed only when asked for'),
  search: z.string().min(1).max(255).optional().describe('case-insensitive substring of the name'),
});

/** Shape-checks a raw body without throwing, so the service can add semantic problems to the same answer. */
export function checkShape<T>(schema: z.ZodType<T>, raw: unknown, prefix = ''): BodyCheck<T> {
  const body = raw ?? {};
  const r = schema.safeParse(body);
  if (r.success) return { raw: body, data: r.data, problems: [] };
  return { raw: body, problems: zodProblems(r.error, prefix) };
}

// Responses

const timestamp = z.string().describe('ISO 8601 timestamp');
export const errorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional(), request_id: z.string().optional() }),
});

export const nodeSchema = z.object({
  id: z.number().int(),
  pipeline_version_id: z.number().int(),
  node_id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  operator_type: z.enum(OPERATOR_TYPES),
  operator_class: z.string(),
  config: jsonObject,
  order_index: z.number().int(),
  source_asset_id: z.number().int().nullable(),
  destination_asset_id: z.number().int().nullable(),
  max_retries: z.number().int(),
  timeout_seconds: z.number().int().nullable(),
  created_at: timestamp,
});

export const edgeSchema = z.object({
  id: z.number().int(),
  pipeline_version_id: z.number().int(),
  from_node_id: z.string(),
  to_node_id: z.string(),
  edge_type: z.string(),
  created_at: timestamp,
});

export const versionSummarySchema = z.object({
  id: z.number().int(),
  pipeline_id: z.number().int(),
  version: z.number().int(),
  config_snapshot: jsonObject,
  change_summary: z.unknown(),
  version_notes: z.string().nullable(),
  is_published: z.boolean(),
  published_at: timestamp.nullable(),
  created_at: timestamp,
  node_count: z.number().int(),
  edge_count: z.number().int(),
});

export const versionDetailSchema = versionSummarySchema.extend({
  nodes: z.array(nodeSchema).describe('ordered by order_index, then node_id'),
  edges: z.array(edgeSchema).describe('in declaration order'),
});

export const versionListSchema = z.object({ versions: z.array(versionSummarySchema).describe('newest first'), total: z.number().int() });

export const pipelineSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  description: z.string().nullable(),
  schedule_cron: z.string().nullable(),
  schedule_enabled: z.boolean(),
  schedule_timezone: z.string(),
  max_parallel_runs: z.number().int(),
  execution_timeout_seconds: z.number().int().nullable(),
  tags: z.unknown(),
  priority: z.number().int(),
  status: z.enum(PIPELINE_STATUSES),
  current_version_id: z.number().int().nullable().describe('id of the published version'),
  published_version_id: z.number().int().nullable().describe('same as current_version_id (original name)'),
  current_version: z.number().int().nullable().describe('number of the published version'),
  latest_version: z.number().int().nullable().describe('highest version number'),
  created_at: timestamp,
  updated_at: timestamp,
});

export const pipelineDetailSchema = pipelineSchema.extend({
  current_version_detail: versionDetailSchema.nullable().describe('the published version with its nodes and edges'),
});

export const pipelineListSchema = z.object({
  pipelines: z.array(pipelineSchema),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
});

export const publishResultSchema = z.object({
  message: z.string(),
  pipeline_id: z.number().int(),
  version_id: z.number().int(),
  version_number: z.number().int(),
  published_at: timestamp,
});

const problemSchema = z.object({ field: z.string(), message: z.string(), error_type: z.string() });
export const validationResultSchema = z.object({
  valid: z.boolean(),
  errors: z.array(problemSchema),
  warnings: z.array(z.string()).describe('advice that does not block saving or running'),
  version_id: z.number().int().nullable().describe('the stored version validated, null for a candidate'),
});

export const statsSchema = z.object({
  pipeline_id: z.number().int(),
  total_runs: z.number().int(),
  successful_runs: z.number().int(),
  failed_runs: z.number().int(),
  cancelled_runs: z.number().int(),
  active_runs: z.number().int().describe('pending, queued, running or retrying'),
  success_rate: z.number().describe('percent of finished runs that succeeded; 0 when none finished'),
  average_duration_seconds: z.number().nullable().describe('over completed runs'),
  min_duration_seconds: z.number().nullable(),
  max_duration_seconds: z.number().nullable(),
  last_run_at: timestamp.nullable(),
  last_run_status: z.string().nullable(),
  total_records_extracted: z.number().int(),
  total_records_loaded: z.number().int(),
  next_scheduled_run: timestamp.nullable(),
});

export const metricsSchema = statsSchema.extend({
  runs_by_status: z.record(z.string(), z.number().int()),
  total_records_failed: z.number().int(),
  total_bytes_processed: z.number().int(),
  first_run_at: timestamp.nullable(),
});
