import type { SynqxError } from '../core/errors.js';

export type JobOutcomeStatus = 'success' | 'failed' | 'cancelled';

export interface JobOutcome {
  status: JobOutcomeStatus;
  /** Set when status is failed or cancelled; `retryable` says whether the dispatcher may try again. */
  error?: SynqxError;
  /** Per-run totals, for metrics and the SSE stream's final event. */
  totals?: { extracted: number; loaded: number; failed: number; bytes: number; durationSeconds: number };
}

/**
 * Executes one job that is already recorded in `jobs` (with its pinned pipeline version): creates
 * its pipeline_run and step_runs, runs the engine, persists counters and logs while it goes, and
 * records the final state of the run and the steps. The job's own status (`running`, `success`,
 * `failed`, `retrying`, `cancelled`) belongs to the dispatcher, which calls this.
 * `signal` aborting means cancel: the runner stops, rolls back loads and resolves `cancelled`.
 * It never throws for a failed run — it resolves with the outcome.
 */
export interface JobRunner {
  run(jobId: number, signal: AbortSignal, context: { workerId: string; attempt: number }): Promise<JobOutcome>;
}
