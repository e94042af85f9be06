import type { StepCounters } from '../../core/step-counters.js';
import type { Queryable } from '../db.js';

/** Row shapes of the run-record tables, as the API returns them. */
export interface JobRow {
  id: number;
  pipeline_id: number;
  pipeline_version_id: number;
  status: JobStatus;
  trigger_type: string;
  trigger_payload: Record<string, unknown>;
  attempt: number;
  max_retries: number;
  retry_of_job_id: number | null;
  queue_job_id: string | null;
  worker_id: string | null;
  cancel_requested_at: Date | null;
  cancel_reason: string | null;
  error_code: string | null;
  error_message: string | null;
  created_at: Date;
  queued_at: Date | null;
  started_at: Date | null;
  completed_at: Date | null;
  updated_at: Date;
}

export type JobStatus = 'pending' | 'queued' | 'running' | 'success' | 'failed' | 'retrying' | 'cancelled';
export type RunStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';
export type StepStatus = 'pending' | 'running' | 'success' | 'warning' | 'failed' | 'skipped';
export type LogLevel = 'debug' | 'info' | 'warning' | 'error' | 'critical';

export const ACTIVE_JOB_STATUSES: readonly JobStatus[] = ['pending', 'queued', 'running', 'retrying'];

export interface RunRow {
  id: number;
  job_id: number;
  pipeline_id: number;
  pipeline_version_id: number;
  run_number: number;
  status: RunStatus;
  total_nodes: number;
  total_extracted: number;
  total_loaded: number;
  total_failed: number;
  bytes_processed: number;
  error_message: string | null;
  started_at: Date | null;
  completed_at: Date | null;
  duration_seconds: number | null;
  created_at: Date;
}

export interface StepRunRow {
  id: number;
  pipeline_run_id: number;
  node_id: number;
  node_key: string;
  operator_type: string;
  order_index: number;
  status: StepStatus;
  records_in: number;
  records_out: number;
  records_filtered: number;
  records_error: number;
  bytes_processed: number;
  retry_count: number;
  error_code: string | null;
  error_message: string | null;
  started_at: Date | null;
  completed_at: Date | null;
  duration_seconds: number | null;
  created_at: Date;
  updated_at: Date;
}

export interface LogRow {
  id: number;
  level: LogLevel;
  message: string;
  metadata_payload: Record<string, unknown> | null;
  timestamp: Date;
  source: string;
}

export interface NewJob {
  pipelineId: number;
  versionId: number;
  triggerType: 'manual' | 'api' | 'schedule' | 'retry' | 'cli';
  triggerPayload?: Record<string, unknown>;
  maxRetries: number;
  attempt?: number;
  retryOfJobId?: number | null;
}

export interface NewStep {
  nodeDbId: number;
  nodeKey: string;
  operatorType: string;
  orderIndex: number;
}


/** SQL for jobs, pipeline_runs, step_runs and their logs. Every function takes the connection or transaction to use. */
export const runRepo = {
  async insertJob(q: Queryable, j: NewJob): Promise<JobRow> {
    const { rows } = await q.query<JobRow>(
      `INSERT INTO jobs (pipeline_id, pipeline_version_id, status, trigger_type, trigger_payload, attempt, max_retries, retry_of_job_id)
       VALUES ($1, $2, 'pending', $3, $4, $5, $6, $7) RETURNING *`,
      [j.pipelineId, j.versionId, j.triggerType, JSON.stringify(j.triggerPayload ?? {}), j.attempt ?? 1, j.maxRetries, j.retryOfJobId ?? null],
    );
    return rows[0]!;
  },

  /** run_number is the next per pipeline; callers hold the pipeline row lock (FOR UPDATE) so numbers never collide. */
  async insertRun(q: Queryable, job: Pick<JobRow, 'id' | 'pipeline_id' | 'pipeline_version_id'>, totalNodes: number): Promise<RunRow> {
    const { rows } = await q.query<RunRow>(
      `INSERT INTO pipeline_runs (job_id, pipeline_id, pipeline_version_id, run_number, total_nodes)
       VALUES ($1, $2, $3, (SELECT coalesce(max(run_number), 0) + 1 FROM pipeline_runs WHERE pipeline_id = $2), $4)
       RETURNING *`,
      [job.id, job.pipeline_id, job.pipeline_version_id, totalNodes],
    );
    return rows[0]!;
  },

  async insertSteps(q: Queryable, runId: number, steps: NewStep[]): Promise<StepRunRow[]> {
    const out: StepRunRow[] = [];
    for (const s of steps) {
      const { rows } = await q.query<StepRunRow>(
        `INSERT INTO step_runs (pipeline_run_id, node_id, node_key, operator_type, order_index)
         VALUES ($1, $2, $3, $4, $5) RETURNING *`,
        [runId, s.nodeDbId, s.nodeKey, s.operatorType, s.orderIndex],
      );
      out.push(rows[0]!);
    }
    return out;
  },

  async getJob(q: Queryable, id: number): Promise<JobRow | undefined> {
    return (await q.query<JobRow>('SELECT * FROM jobs WHERE id = $1', [id])).rows[0];
  },

  async getRunByJob(q: Queryable, jobId: number): Promise<RunRow | undefined> {
    return (await q.query<RunRow>('SELECT * FROM pipeline_runs WHERE job_id = $1', [jobId])).rows[0];
  },

  async getRun(q: Queryable, id: number): Promise<RunRow | undefined> {
    return (await q.query<RunRow>('SELECT * FROM pipeline_runs WHERE id = $1', [id])).rows[0];
  },

  async stepsOfRun(q: Queryable, runId: number): Promise<StepRunRow[]> {
    return (await q.query<StepRunRow>('SELECT * FROM step_runs WHERE pipeline_run_id = $1 ORDER BY order_index, id', [runId])).rows;
  },

  async getStep(q: Queryable, runId: number, stepId: number): Promise<StepRunRow | undefined> {
    return (await q.query<StepRunRow>('SELECT * FROM step_runs WHERE pipeline_run_id = $1 AND id = $2', [runId, stepId])).rows[0];
  },

  /**
   * Moves a job to `to` only from one of `from`; returns the row when the transition happened.
   * Conditional updates keep concurrent actors (worker, cancel request, stall detector) honest.
   */
  async transitionJob(
    q: Queryable,
    id: number,
    from: readonly JobStatus[],
    to: JobStatus,
    fields: Partial<Pick<JobRow, 'error_code' | 'error_message' | 'worker_id' | 'queue_job_id'>> = {},
  ): Promise<JobRow | undefined> {
    const stamp =
      to === 'queued' ? ', queued_at = now()' : to === 'running' ? ', started_at = coalesce(started_at, now())' : ['success', 'failed', 'cancelled'].includes(to) ? ', completed_at = now()' : '';
    const { rows } = await q.query<JobRow>(
      `UPDATE jobs SET status = $3, updated_at = now()${stamp},
         error_code = coalesce($4, error_code), error_message = coalesce($5, error_message),
         worker_id = coalesce($6, worker_id), queue_job_id = coalesce($7, queue_job_id)
       WHERE id = $1 AND status = ANY($2::text[]) RETURNING *`,
      [id, from, to, fields.error_code ?? null, fields.error_message ?? null, fields.worker_id ?? null, fields.queue_job_id ?? null],
    );
    return rows[0];
  },

  async updateRun(
    q: Queryable,
    id: number,
    patch: Partial<Pick<RunRow, 'status' | 'total_extracted' | 'total_loaded' | 'total_failed' | 'bytes_processed' | 'error_message'>> & {
      started?: boolean;
      finished?: boolean;
    },
  ): Promise<void> {
    await q.query(
      `UPDATE pipeline_runs SET
         status = coalesce($2, status),
         total_extracted = coalesce($3, total_extracted),
         total_loaded = coalesce($4, total_loaded),
         total_failed = coalesce($5, total_failed),
         bytes_processed = coalesce($6, bytes_processed),
         error_message = coalesce($7, error_message),
         started_at = CASE WHEN $8 THEN coalesce(started_at, now()) ELSE started_at END,
         completed_at = CASE WHEN $9 THEN now() ELSE completed_at END,
         duration_seconds = CASE WHEN $9 THEN extract(epoch FROM now() - coalesce(started_at, created_at)) ELSE duration_seconds END
       WHERE id = $1`,
      [
        id,
        patch.status ?? null,
        patch.total_extracted ?? null,
        patch.total_loaded ?? null,
        patch.total_failed ?? null,
        patch.bytes_processed ?? null,
        patch.error_message ?? null,
        patch.started ?? false,
        patch.finished ?? false,
      ],
    );
  },

  async updateStep(
    q: Queryable,
    id: number,
    patch: Partial<StepCounters> & { status?: StepStatus; error_code?: string; error_message?: string; started?: boolean; finished?: boolean },
  ): Promise<void> {
    await q.query(
      `UPDATE step_runs SET
         status = coalesce($2, status),
         records_in = coalesce($3, records_in),
         records_out = coalesce($4, records_out),
         records_filtered = coalesce($5, records_filtered),
         records_error = coalesce($6, records_error),
         bytes_processed = coalesce($7, bytes_processed),
         error_code = coalesce($8, error_code),
         error_message = coalesce($9, error_message),
         started_at = CASE WHEN $10 THEN coalesce(started_at, now()) ELSE started_at END,
         completed_at = CASE WHEN $11 THEN now() ELSE completed_at END,
         duration_seconds = CASE WHEN $11 AND started_at IS NOT NULL THEN extract(epoch FROM now() - started_at) ELSE duration_seconds END,
         updated_at = now()
       WHERE id = $1`,
      [
        id,
        patch.status ?? null,
        patch.records_in ?? null,
        patch.records_out ?? null,
        patch.records_filtered ?? null,
        patch.records_error ?? null,
        patch.bytes_processed ?? null,
        patch.error_code ?? null,
        patch.error_message ?? null,
        patch.started ?? false,
        patch.finished ?? false,
      ],
    );
  },

  async appendJobLog(q: Queryable, jobId: number, level: LogLevel, message: string, meta?: Record<string, unknown>, source = 'runner'): Promise<void> {
    await q.query('INSERT INTO job_logs (job_id, level, message, metadata_payload, source) VALUES ($1, $2, $3, $4, $5)', [
      jobId,
      level,
      message,
      meta ? JSON.stringify(meta) : null,
      source,
    ]);
  },

  async appendStepLog(q: Queryable, stepRunId: number, level: LogLevel, message: string, meta?: Record<string, unknown>, source = 'runner'): Promise<void> {
    await q.query('INSERT INTO step_logs (step_run_id, level, message, metadata_payload, source) VALUES ($1, $2, $3, $4, $5)', [
      stepRunId,
      level,
      message,
      meta ? JSON.stringify(meta) : null,
      source,
    ]);
  },

  async jobLogs(q: Queryable, jobId: number, opts: LogQuery = {}): Promise<LogRow[]> {
    return logsOf(q, 'job_logs', 'job_id', jobId, opts);
  },

  async stepLogs(q: Queryable, stepRunId: number, opts: LogQuery = {}): Promise<LogRow[]> {
    return logsOf(q, 'step_logs', 'step_run_id', stepRunId, opts);
  },
};

export interface LogQuery {
  level?: LogLevel;
  afterId?: number;
  limit?: number;
}

// Both log tables have the same shape; only the table and its owner column differ (fixed names, never user input).
async function logsOf(q: Queryable, table: 'job_logs' | 'step_logs', owner: 'job_id' | 'step_run_id', id: number, opts: LogQuery): Promise<LogRow[]> {
  const { rows } = await q.query<LogRow>(
    `SELECT id, level, message, metadata_payload, timestamp, source FROM ${table}
     WHERE ${owner} = $1 AND ($2::text IS NULL OR level = $2) AND id > $3 ORDER BY id LIMIT $4`,
    [id, opts.level ?? null, opts.afterId ?? 0, opts.limit ?? 1000],
  );
  return rows;
}
