/**
 * Domain types of a pipeline and its versions, as the API accepts them and the store keeps them.
 * Field names follow the original SynqX contract (snake_case), so the same objects travel from
 * request body to repository to response without renaming.
 */

/** Every operator type the original accepted; the database checks the same list. */
export const OPERATOR_TYPES = ['extract', 'transform', 'load', 'validate', 'noop', 'merge', 'union', 'join'] as const;
export type OperatorType = (typeof OPERATOR_TYPES)[number];

export function isOperatorType(value: unknown): value is OperatorType {
  return typeof value === 'string' && (OPERATOR_TYPES as readonly string[]).includes(value);
}

/** Node ids appear in edges, logs and step records; the database checks the same pattern. */
export const NODE_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

export const PIPELINE_STATUSES = ['active', 'paused', 'archived'] as const;
export type PipelineStatus = (typeof PIPELINE_STATUSES)[number];

export const DEFAULT_EDGE_TYPE = 'data_flow';

export interface NodeDefinition {
  node_id: string;
  name: string;
  description?: string | null;
  operator_type: OperatorType;
  /** Connector type for extract/load (e.g. `postgresql`), transform name otherwise (e.g. `filter`). */
  operator_class: string;
  config: Record<string, unknown>;
  order_index: number;
  source_asset_id?: number | null;
  destination_asset_id?: number | null;
  max_retries: number;
  timeout_seconds?: number | null;
}

export interface EdgeDefinition {
  from_node_id: string;
  to_node_id: string;
  edge_type: string;
}

/** The contents of one version: what `initial_version` and `POST /pipelines/{id}/versions` carry. */
export interface VersionDefinition {
  config_snapshot: Record<string, unknown>;
  change_summary?: unknown;
  version_notes?: string | null;
  nodes: NodeDefinition[];
  edges: EdgeDefinition[];
}

/** The pipeline-level fields (everything but the graph). */
export interface PipelineDefinition {
  name: string;
  description?: string | null;
  schedule_cron?: string | null;
  schedule_enabled: boolean;
  schedule_timezone: string;
  max_parallel_runs: number;
  execution_timeout_seconds?: number | null;
  tags?: unknown;
  priority: number;
}

/** The fields the scheduler cares about; a change to any of them fires a change notification. */
export interface ScheduleFields {
  schedule_cron: string | null;
  schedule_enabled: boolean;
  schedule_timezone: string;
  status: PipelineStatus;
}

/** What `POST /pipelines` carries once its shape is checked. */
export type CreatePipelineInput = PipelineDefinition & { initial_version: VersionDefinition };

/** What `POST /pipelines/{id}/versions` carries; `publish` makes it the published version at once. */
export type NewVersionInput = VersionDefinition & { publish?: boolean };

/** What `PATCH /pipelines/{id}` may change: pipeline fields only, never the graph. */
export type PipelineUpdate = Partial<PipelineDefinition> & { status?: 'active' | 'paused' };
