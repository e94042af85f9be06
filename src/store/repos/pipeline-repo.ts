import type { PipelineDefinition, PipelineStatus } from '../../core/pipeline.js';
import type { Queryable } from '../db.js';

/** A pipeline as the API answers it: the table's columns plus the numbers of its published and latest versions. */
export interface PipelineRow {
  id: number;
  name: string;
  description: string | null;
  schedule_cron: string | null;
  schedule_enabled: boolean;
  schedule_timezone: string;
  max_parallel_runs: number;
  execution_timeout_seconds: number | null;
  tags: unknown;
  priority: number;
  status: PipelineStatus;
  current_version_id: number | null;
  published_version_id: number | null;
  current_version: number | null;
  latest_version: number | null;
  created_at: Date;
  updated_at: Date;
}

export type PipelinePatch = Partial<PipelineDefinition> & { status?: PipelineStatus };

export interface PipelineListOptions {
  limit: number;
  offset: number;
  status?: PipelineStatus;
  search?: string;
}

/** An asset as validation needs it: does it exist, is it (or its connection) deleted, which connector reads it. */
export interface AssetRef {
  id: number;
  name: string;
  connection_id: number;
  connector_type: string;
  is_source: boolean;
  is_destination: boolean;
  asset_deleted: boolean;
  connection_deleted: boolean;
}

export interface PipelineRunTotals {
  total_runs: number;
  successful_runs: number;
  failed_runs: number;
  cancelled_runs: number;
  active_runs: number;
  runs_by_status: Record<string, number>;
  first_run_at: Date | null;
  last_run_at: Date | null;
  last_run_status: string | null;
  average_duration_seconds: number | null;
  min_duration_seconds: number | null;
  max_duration_seconds: number | null;
  total_records_extracted: number;
  total_records_loaded: number;
  total_records_failed: number;
  total_bytes_processed: number;
}

// Version numbers come from subqueries so every read answers the same shape without a second round trip.
const SELECT_PIPELINE = `
  SELECT p.id, p.name, p.description, p.schedule_cron, p.schedule_enabled, p.schedule_timezone, p.max_parallel_runs,
         p.execution_timeout_seconds, p.tags, p.priority, p.status, p.current_version_id,
         p.current_version_id AS published_version_id,
         (SELECT v.version FROM pipeline_versions v WHERE v.id = p.current_version_id) AS current_version,
         (SELECT max(v.version) FROM pipeline_versions v WHERE v.pipeline_id = p.id) AS latest_version,
         p.created_at, p.updated_at
  FROM pipelines p`;

/** Columns a PATCH may touch; the names are constants here, never taken from input. */
const PATCHABLE = [
  'name',
  'description',
  'schedule_cron',
  'schedule_enabled',
  'schedule_timezone',
  'max_parallel_runs',
  'execution_timeout_seconds',
  'tags',
  'priority',
  'status',
] as const;

function tagsJson(tags: unknown): string {
  return JSON.stringify(tags ?? {});
}

/** SQL for pipelines. Every function takes the connection or transaction to use. */
export const pipelineRepo = {
  /** Throws the driver's unique violation (23505, `pipelines_name_live`) when a live pipeline has the name. */
  async insert(q: Queryable, p: PipelineDefinition): Promise<number> {
    const { rows } = await q.query<{ id: number }>(
      `INSERT INTO pipelines (name, description, schedule_cron, schedule_enabled, schedule_timezone, max_parallel_runs,
                              execution_timeout_seconds, tags, priority)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9) RETURNING id`,
      [
        p.name,
        p.description ?? null,
        p.schedule_cron ?? null,
        p.schedule_enabled,
        p.schedule_timezone,
        p.max_parallel_runs,
        p.execution_timeout_seconds ?? null,
        tagsJson(p.tags),
        p.priority,
      ],
    );
    return rows[0]!.id;
  },

  async get(q: Queryable, id: number): Promise<PipelineRow | undefined> {
    return (await q.query<PipelineRow>(`${SELECT_PIPELINE} WHERE p.id = $1`, [id])).rows[0];
  },

  /** Locks the pipeline row for the rest of the transaction: serializes version numbering and publishing. */
  async lock(q: Queryable, id: number): Promise<{ id: number; status: PipelineStatus } | undefined> {
    return (await q.query<{ id: number; status: PipelineStatus }>('SELECT id, status FROM pipelines WHERE id = $1 FOR UPDATE', [id])).rows[0];
  },

  /** Newest first. Archived pipelines appear only when `status: 'archived'` is asked for. */
  async list(q: Queryable, opts: PipelineListOptions): Promise<{ rows: PipelineRow[]; total: number }> {
    const where = `WHERE (($1::text IS NULL AND p.status <> 'archived') OR p.status = $1)
                     AND ($2::text IS NULL OR strpos(lower(p.name), lower($2)) > 0)`;
    const params = [opts.status ?? null, opts.search ?? null];
    const total = await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM pipelines p ${where}`, params);
    const { rows } = await q.query<PipelineRow>(`${SELECT_PIPELINE} ${where} ORDER BY p.created_at DESC, p.id DESC LIMIT $3 OFFSET $4`, [
      ...params,
      opts.limit,
      opts.offset,
    ]);
    return { rows, total: total.rows[0]!.n };
  },

  /** Applies the given fields only; returns false when the pipeline does not exist. */
  async update(q: Queryable, id: number, patch: PipelinePatch): Promise<boolean> {
    const sets: string[] = [];
    const params: unknown[] = [id];
    for (const col of PATCHABLE) {
      if (!(col in patch)) continue;
      const value = (patch as Record<string, unknown>)[col];
      if (col === 'tags') {
        params.push(tagsJson(value));
        sets.push(`tags = $${params.length}::jsonb`);
      } else {
        params.push(value ?? null);
        sets.push(`${col} = $${params.length}`);
      }
    }
    sets.push('updated_at = now()');
    const r = await q.query(`UPDATE pipelines SET ${sets.join(', ')} WHERE id = $1`, params);
    return r.rowCount > 0;
  },

  /** Active pipelines with a schedule, for the scheduler. */
  async listScheduled(q: Queryable): Promise<PipelineRow[]> {
    return (await q.query<PipelineRow>(`${SELECT_PIPELINE} WHERE p.schedule_enabled AND p.status = 'active' ORDER BY p.id`)).rows;
  },

  /** Assets by id with their connection, deleted ones included (flagged) so validation can say why one is unusable. */
  async findAssets(q: Queryable, ids: readonly number[]): Promise<AssetRef[]> {
    if (ids.length === 0) return [];
    const { rows } = await q.query<AssetRef>(
      `SELECT a.id, a.name, a.connection_id, c.connector_type, a.is_source, a.is_destination,
              a.deleted_at IS NOT NULL AS asset_deleted, c.deleted_at IS NOT NULL AS connection_deleted
       FROM assets a JOIN connections c ON c.id = a.connection_id
       WHERE a.id = ANY($1::bigint[])`,
      [[...new Set(ids)]],
    );
    return rows;
  },

  /** Run totals from jobs (what was asked) and pipeline_runs (what happened); zeros when nothing ran yet. */
  async runTotals(q: Queryable, pipelineId: number): Promise<PipelineRunTotals> {
    const jobs = await q.query<{ status: string; n: number; first_at: Date | null; last_at: Date | null }>(
      `SELECT status, count(*)::int AS n, min(created_at) AS first_at, max(created_at) AS last_at
       FROM jobs WHERE pipeline_id = $1 GROUP BY status`,
      [pipelineId],
    );
    const last = await q.query<{ status: string; created_at: Date }>(
      'SELECT status, created_at FROM jobs WHERE pipeline_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1',
      [pipelineId],
    );
    const runs = await q.query<{
      avg: number | null;
      min: number | null;
      max: number | null;
      extracted: number;
      loaded: number;
      failed: number;
      bytes: number;
    }>(
      `SELECT avg(duration_seconds) FILTER (WHERE status = 'completed')::float8 AS avg,
              min(duration_seconds) FILTER (WHERE status = 'completed')::float8 AS min,
              max(duration_seconds) FILTER (WHERE status = 'completed')::float8 AS max,
              coalesce(sum(total_extracted), 0)::int8 AS extracted,
              coalesce(sum(total_loaded), 0)::int8 AS loaded,
              coalesce(sum(total_failed), 0)::int8 AS failed,
              coalesce(sum(bytes_processed), 0)::int8 AS bytes
       FROM pipeline_runs WHERE pipeline_id = $1`,
      [pipelineId],
    );
    const byStatus: Record<string, number> = {};
    let first: Date | null = null;
    for (const r of jobs.rows) {
      byStatus[r.status] = r.n;
      if (r.first_at && (!first || r.first_at < first)) first = r.first_at;
    }
    const count = (...statuses: string[]) => statuses.reduce((n, s) => n + (byStatus[s] ?? 0), 0);
    const agg = runs.rows[0]!;
    return {
      total_runs: Object.values(byStatus).reduce((a, b) => a + b, 0),
      successful_runs: count('success'),
      failed_runs: count('failed'),
      cancelled_runs: count('cancelled'),
      active_runs: count('pending', 'queued', 'running', 'retrying'),
      runs_by_status: byStatus,
      first_run_at: first,
      last_run_at: last.rows[0]?.created_at ?? null,
      last_run_status: last.rows[0]?.status ?? null,
      average_duration_seconds: agg.avg,
      min_duration_seconds: agg.min,
      max_duration_seconds: agg.max,
      total_records_extracted: agg.extracted,
      total_records_loaded: agg.loaded,
      total_records_failed: agg.failed,
      total_bytes_processed: agg.bytes,
    };
  },
};
