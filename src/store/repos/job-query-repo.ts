import type { Queryable } from '../db.js';
import type { JobRow, JobStatus, RunRow, RunStatus } from './run-repo.js';

/** A job as the API lists it: the row plus its run's id and number. */
export type JobListRow = JobRow & { run_id: number | null; run_number: number | null };

export interface JobFilter {
  pipelineId?: number;
  status?: JobStatus;
  limit: number;
  offset: number;
}

export interface RunFilter {
  pipelineId?: number;
  status?: RunStatus;
  limit: number;
  offset: number;
}

const SELECT_JOB = `SELECT j.*, r.id AS run_id, r.run_number FROM jobs j LEFT JOIN pipeline_runs r ON r.job_id = j.id`;

/** Read queries behind the jobs and runs API: filters, pages, newest first. */
export const jobQueryRepo = {
  async listJobs(q: Queryable, f: JobFilter): Promise<{ rows: JobListRow[]; total: number }> {
    const where = 'WHERE ($1::bigint IS NULL OR j.pipeline_id = $1) AND ($2::text IS NULL OR j.status = $2)';
    const params = [f.pipelineId ?? null, f.status ?? null];
    const total = await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM jobs j ${where}`, params);
    const { rows } = await q.query<JobListRow>(`${SELECT_JOB} ${where} ORDER BY j.created_at DESC, j.id DESC LIMIT $3 OFFSET $4`, [
      ...params,
      f.limit,
      f.offset,
    ]);
    return { rows, total: total.rows[0]!.n };
  },

  async getJob(q: Queryable, id: number): Promise<JobListRow | undefined> {
    return (await q.query<JobListRow>(`${SELECT_JOB} WHERE j.id = $1`, [id])).rows[0];
  },

  async listRuns(q: Queryable, f: RunFilter): Promise<{ rows: RunRow[]; total: number }> {
    const where = 'WHERE ($1::bigint IS NULL OR pipeline_id = $1) AND ($2::text IS NULL OR status = $2)';
    const params = [f.pipelineId ?? null, f.status ?? null];
    const total = await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM pipeline_runs ${where}`, params);
    const { rows } = await q.query<RunRow>(`SELECT * FROM pipeline_runs ${where} ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4`, [
      ...params,
      f.limit,
      f.offset,
    ]);
    return { rows, total: total.rows[0]!.n };
  },

  /** Retries made of a job through POST /jobs/{id}/retry. */
  async retriesOf(q: Queryable, jobId: number): Promise<number[]> {
    return (await q.query<{ id: number }>('SELECT id FROM jobs WHERE retry_of_job_id = $1 ORDER BY id', [jobId])).rows.map((r) => r.id);
  },
};
