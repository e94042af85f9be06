import type { Queryable } from '../db.js';

export type FiringOutcome = 'enqueued' | 'skipped_overlap' | 'skipped_no_version' | 'failed';

export interface FiringRow {
  id: number;
  pipeline_id: number;
  slot: Date;
  schedule_cron: string;
  schedule_timezone: string;
  outcome: FiringOutcome;
  job_id: number | null;
  blocking_job_id: number | null;
  scheduler_id: string;
  message: string | null;
  fired_at: Date;
}

export interface NewFiring {
  pipelineId: number;
  slot: Date;
  cron: string;
  timezone: string;
  schedulerId: string;
}

/** SQL for schedule_firings: the record of which slot fired which job. */
export const scheduleRepo = {
  /** Claims a slot; undefined when another scheduler already claimed it (the unique key decides). */
  async claimSlot(q: Queryable, f: NewFiring): Promise<number | undefined> {
    const { rows } = await q.query<{ id: number }>(
      `INSERT INTO schedule_firings (pipeline_id, slot, schedule_cron, schedule_timezone, scheduler_id)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (pipeline_id, slot) DO NOTHING RETURNING id`,
      [f.pipelineId, f.slot, f.cron, f.timezone, f.schedulerId],
    );
    return rows[0]?.id;
  },

  async settle(
    q: Queryable,
    id: number,
    r: { outcome: FiringOutcome; jobId?: number | null; blockingJobId?: number | null; message?: string | null },
  ): Promise<void> {
    await q.query('UPDATE schedule_firings SET outcome = $2, job_id = $3, blocking_job_id = $4, message = $5 WHERE id = $1', [
      id,
      r.outcome,
      r.jobId ?? null,
      r.blockingJobId ?? null,
      r.message ?? null,
    ]);
  },

  async list(q: Queryable, pipelineId: number, limit: number): Promise<FiringRow[]> {
    const { rows } = await q.query<FiringRow>('SELECT * FROM schedule_firings WHERE pipeline_id = $1 ORDER BY slot DESC LIMIT $2', [
      pipelineId,
      limit,
    ]);
    return rows;
  },
};
