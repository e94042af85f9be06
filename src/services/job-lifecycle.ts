import type { Db } from '../store/db.js';
import { jobStateRepo } from '../store/repos/job-state-repo.js';
import { runRepo, type JobRow, type JobStatus, type LogLevel } from '../store/repos/run-repo.js';

export interface MoveNote {
  /** The job_logs line recording the transition. */
  message: string;
  level?: LogLevel;
  meta?: Record<string, unknown>;
  fields?: Partial<Pick<JobRow, 'error_code' | 'error_message' | 'worker_id' | 'queue_job_id'>>;
  attempt?: number;
  /** Clears error_code/error_message of earlier attempts in the same transaction (a final success). */
  clearError?: boolean;
  /** Closes the run with this status when the runner did not (the job ended outside the runner). */
  closeRun?: 'completed' | 'failed' | 'cancelled';
  /**
   * Applies only if the row is still the one the caller looked at (same worker, same last change).
   * Observers acting on a stale report (a stall noticed after another worker already took the job
   * over) must not overwrite the newer state.
   */
  expect?: { workerId: string | null; updatedAt: Date };
}

/**
 * The one way a job changes state: a conditional transition (only from `from`), its timestamp, and
 * its job_logs line, in one transaction. Returns undefined when the job was not in one of `from`
 * (someone else moved it first: a cancel, the stall detector, another worker), so racing actors
 * never overwrite each other.
 */
export async function moveJob(db: Db, jobId: number, from: readonly JobStatus[], to: JobStatus, note: MoveNote): Promise<JobRow | undefined> {
  return db.transaction(async (tx) => {
    if (note.expect && !(await jobStateRepo.isUnchanged(tx, jobId, note.expect.workerId, note.expect.updatedAt))) return undefined;
    const row = await runRepo.transitionJob(tx, jobId, from, to, note.fields);
    if (!row) return undefined;
    if (note.attempt !== undefined && note.attempt !== row.attempt) {
      await jobStateRepo.setAttempt(tx, jobId, note.attempt);
      row.attempt = note.attempt;
    }
    if (note.clearError) {
      // In the same transaction: nobody may see the success with an earlier attempt's error beside it.
      await jobStateRepo.clearError(tx, jobId);
      row.error_code = null;
      row.error_message = null;
    }
    if (note.closeRun) await jobStateRepo.closeOpenRun(tx, jobId, note.closeRun, note.fields?.error_message ?? null);
    await runRepo.appendJobLog(tx, jobId, note.level ?? 'info', note.message, { status: to, attempt: row.attempt, ...note.meta }, 'dispatcher');
    return row;
  });
}

export const isFinished = (s: JobStatus): boolean => s === 'success' || s === 'failed' || s === 'cancelled';
