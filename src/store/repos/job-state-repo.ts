import type { Queryable } from '../db.js';
import type { JobRow, JobStatus, RunStatus } from './run-repo.js';

/** What admission needs of a pipeline, read under its row lock. */
export interface AdmissionPipeline {
  id: number;
  name: string;
  status: 'active' | 'paused' | 'archived';
  max_parallel_runs: number;
  current_version_id: number | null;
  schedule_enabled: boolean;
  schedule_cron: string | null;
  schedule_timezone: string;
  execution_timeout_seconds: number | null;
  priority: number;
}

/** The version a run pins, with what the dispatcher derives from its nodes. */
export interface RunnableVersion {
  id: number;
  version: number;
  node_count: number;
  /** Retries of a job: the largest max_retries among the version's nodes. */
  max_retries: number;
}

export const ACTIVE: readonly JobStatus[] = ['pending', 'queued', 'running', 'retrying'];

/** The dispatcher's SQL on jobs and runs beyond run-repo's: admission, cancel requests, recovery sweeps. */
export const jobStateRepo = {
  /**
   * Locks the pipeline row for the rest of the transaction. Every admission (API trigger, retry,
   * schedule) takes this lock before counting active jobs, so the count and the insert are atomic.
   */
  async lockPipeline(q: Queryable, id: number): Promise<AdmissionPipeline | undefined> {
    const { rows } = await q.query<AdmissionPipeline>(
      `SELECT id, name, status, max_parallel_runs, current_version_id, schedule_enabled, schedule_cron, schedule_timezone,
              execution_timeout_seconds, priority
       FROM pipelines WHERE id = $1 FOR UPDATE`,
      [id],
    );
    return rows[0];
  },

  /** Active jobs of a pipeline, running ones first (the one a refused trigger names). */
  async activeJobs(q: Queryable, pipelineId: number): Promise<Array<{ id: number; status: JobStatus }>> {
    const { rows } = await q.query<{ id: number; status: JobStatus }>(
      `SELECT id, status FROM jobs WHERE pipeline_id = $1 AND status = ANY($2::text[])
       ORDER BY (status = 'running') DESC, id`,
      [pipelineId, ACTIVE],
    );
    return rows;
  },

  async runnableVersion(q: Queryable, pipelineId: number, versionId: number): Promise<RunnableVersion | undefined> {
    const { rows } = await q.query<RunnableVersion>(
      `SELECT v.id, v.version,
              (SELECT count(*)::int FROM pipeline_nodes n WHERE n.pipeline_version_id = v.id) AS node_count,
              (SELECT coalesce(max(n.max_retries), 0)::int FROM pipeline_nodes n WHERE n.pipeline_version_id = v.id) AS max_retries
       FROM pipeline_versions v WHERE v.id = $1 AND v.pipeline_id = $2`,
      [versionId, pipelineId],
    );
    return rows[0];
  },

  async setAttempt(q: Queryable, id: number, attempt: number): Promise<void> {
    await q.query('UPDATE jobs SET attempt = $2 WHERE id = $1', [id, attempt]);
  },

  /** Records a cancel request on an active job (the first reason wins); undefined when the job is not active. */
  async requestCancel(q: Queryable, id: number, reason: string | null): Promise<JobRow | undefined> {
    const { rows } = await q.query<JobRow>(
      `UPDATE jobs SET cancel_requested_at = coalesce(cancel_requested_at, now()), cancel_reason = coalesce(cancel_reason, $2),
              updated_at = now()
       WHERE id = $1 AND status = ANY($3::text[]) RETURNING *`,
      [id, reason, ACTIVE],
    );
    return rows[0];
  },

  /** Which of these jobs have a cancel request (the workers' poll, behind the pub/sub channel). */
  async cancelRequested(q: Queryable, ids: readonly number[]): Promise<number[]> {
    if (ids.length === 0) return [];
    const { rows } = await q.query<{ id: number }>(
      `SELECT id FROM jobs WHERE id = ANY($1::bigint[]) AND cancel_requested_at IS NOT NULL AND status = ANY($2::text[])`,
      [[...ids], ACTIVE],
    );
    return rows.map((r) => r.id);
  },

  /** Closes a run the runner never closed (cancelled before it started, worker lost…). */
  async closeOpenRun(q: Queryable, jobId: number, status: Exclude<RunStatus, 'pending' | 'running'>, errorMessage: string | null): Promise<void> {
    await q.query(
      `UPDATE pipeline_runs SET status = $2, error_message = coalesce(error_message, $3), completed_at = now(),
              duration_seconds = extract(epoch FROM now() - coalesce(started_at, created_at))
       WHERE job_id = $1 AND status IN ('pending', 'running')`,
      [jobId, status, errorMessage],
    );
  },

  /** Jobs in the given states, oldest first (recovery sweeps). */
  async jobsIn(q: Queryable, statuses: readonly JobStatus[], limit = 1000): Promise<JobRow[]> {
    const { rows } = await q.query<JobRow>('SELECT * FROM jobs WHERE status = ANY($1::text[]) ORDER BY id LIMIT $2', [[...statuses], limit]);
    return rows;
  },

  /** The priority of each pipeline (1 … 10), for jobs queued again by recovery. */
  async priorities(q: Queryable, pipelineIds: readonly number[]): Promise<Map<number, number>> {
    if (pipelineIds.length === 0) return new Map();
    const { rows } = await q.query<{ id: number; priority: number }>('SELECT id, priority FROM pipelines WHERE id = ANY($1::bigint[])', [[...new Set(pipelineIds)]]);
    return new Map(rows.map((r) => [Number(r.id), r.priority]));
  },

  /** Locks the job row and tells whether it still has this worker and this last-change stamp. */
  async isUnchanged(q: Queryable, id: number, workerId: string | null, updatedAt: Date): Promise<boolean> {
    const { rows } = await q.query<{ worker_id: string | null; updated_at: Date }>('SELECT worker_id, updated_at FROM jobs WHERE id = $1 FOR UPDATE', [id]);
    const r = rows[0];
    return !!r && r.worker_id === workerId && new Date(r.updated_at).getTime() === new Date(updatedAt).getTime();
  },

  /** A job that finally succeeded keeps no error of an earlier attempt (job_logs keep the history). */
  async clearError(q: Queryable, id: number): Promise<void> {
    await q.query('UPDATE jobs SET error_code = NULL, error_message = NULL WHERE id = $1', [id]);
  },

  async pipelineTimeout(q: Queryable, pipelineId: number): Promise<number | null> {
    const { rows } = await q.query<{ t: number | null }>('SELECT execution_timeout_seconds AS t FROM pipelines WHERE id = $1', [pipelineId]);
    return rows[0]?.t ?? null;
  },
};
