import { SynqxError, isSynqxError } from '../core/errors.js';
import type { Logger } from '../platform/logger.js';
import type { Db } from '../store/db.js';
import { ACTIVE, jobStateRepo } from '../store/repos/job-state-repo.js';
import { runRepo, type JobRow } from '../store/repos/run-repo.js';
import { isFinished, moveJob } from './job-lifecycle.js';
import type { JobOutcome, JobRunner } from './job-runner.js';

/** Why a run was stopped from outside: a cancel request, worker shutdown, or the pipeline's execution timeout. */
export type StopReason = 'cancel' | 'shutdown' | 'timeout';

/** What the queue should do with the job after one execution. */
export type Verdict =
  | { kind: 'skipped'; reason: string }
  | { kind: 'finished'; status: 'success' | 'failed' | 'cancelled'; error?: SynqxError }
  /** A transient failure with attempts left: run again after the backoff. */
  | { kind: 'retry'; attempt: number; error: SynqxError }
  /** The worker is shutting down: put the job back without spending an attempt. */
  | { kind: 'requeue' };

export interface ExecutorDeps {
  db: Db;
  logger: Logger;
  runner: JobRunner;
  workerId: string;
}

function asSynqxError(err: unknown): SynqxError {
  if (isSynqxError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new SynqxError('INTERNAL', `the runner threw: ${message}`, { domain: 'internal', cause: err });
}

/**
 * Runs one delivery of a job, whichever queue delivered it: moves the job to `running`, calls the
 * JobRunner with an abort signal (cancel, shutdown, timeout), and records the outcome. The retry
 * decision lives here: retryable errors with attempts left → `retrying`; everything else is final.
 * Cancelled jobs are never retried. Every state change goes through moveJob, so one that lost a
 * race (a cancel, the stall detector) is simply not applied.
 */
export class JobExecutor {
  private readonly inflight = new Map<number, AbortController>();

  constructor(private readonly deps: ExecutorDeps) {}

  get workerId(): string {
    return this.deps.workerId;
  }

  inFlight(): number[] {
    return [...this.inflight.keys()];
  }

  /** Stops a job this worker runs; false when it does not run it. */
  stop(jobId: number, reason: StopReason): boolean {
    const ctrl = this.inflight.get(jobId);
    if (!ctrl) return false;
    if (!ctrl.signal.aborted) {
      this.deps.logger.info({ jobId, reason, workerId: this.deps.workerId }, 'stopping job');
      ctrl.abort(reason);
    }
    return true;
  }

  stopAll(reason: StopReason): void {
    for (const id of this.inflight.keys()) this.stop(id, reason);
  }

  /**
   * The slow path of cancel: stops those of `jobIds` (jobs this worker runs) that have a cancel
   * request in the jobs table, for requests whose fast signal was lost.
   */
  async stopCancelRequested(jobIds: readonly number[]): Promise<void> {
    const cancelled = await jobStateRepo.cancelRequested(this.deps.db, jobIds);
    cancelled.forEach((id) => this.stop(id, 'cancel'));
  }

  async execute(jobId: number, attempt: number): Promise<Verdict> {
    const { db, workerId } = this.deps;
    const job = await runRepo.getJob(db, jobId);
    if (!job) return { kind: 'skipped', reason: `job ${jobId} does not exist` };
    if (isFinished(job.status)) return { kind: 'skipped', reason: `job ${jobId} is already ${job.status}` };
    if (job.cancel_requested_at) return this.cancelUnstarted(job);
    const maxAttempts = job.max_retries + 1;
    const ctrl = new AbortController();
    this.inflight.set(jobId, ctrl);
    try {
      const lost = job.status === 'running' && job.worker_id && job.worker_id !== workerId ? ` (its previous worker ${job.worker_id} stopped)` : '';
      const row = await moveJob(db, jobId, ['pending', 'queued', 'retrying', 'running'], 'running', {
        message: `running on worker ${workerId}, attempt ${attempt} of ${maxAttempts}${lost}`,
        fields: { worker_id: workerId },
        attempt,
        meta: { worker_id: workerId },
      });
      if (!row) return { kind: 'skipped', reason: `job ${jobId} changed state before it started` };
      // A cancel that landed between the read above and the transition has no worker to signal yet.
      if (row.cancel_requested_at) ctrl.abort('cancel');
      const timeoutS = await jobStateRepo.pipelineTimeout(db, job.pipeline_id);
      const timer = timeoutS ? setTimeout(() => ctrl.abort('timeout'), timeoutS * 1000) : undefined;
      let outcome: JobOutcome;
      try {
        outcome = await this.deps.runner.run(jobId, ctrl.signal, { workerId, attempt });
      } catch (err) {
        outcome = { status: 'failed', error: asSynqxError(err) };
      } finally {
        clearTimeout(timer);
      }
      const reason = ctrl.signal.aborted ? (ctrl.signal.reason as StopReason) : undefined;
      return await this.settle(row, outcome, reason, attempt, maxAttempts);
    } finally {
      this.inflight.delete(jobId);
    }
  }

  private async cancelUnstarted(job: JobRow): Promise<Verdict> {
    const why = job.cancel_reason ?? 'cancelled by request';
    await moveJob(this.deps.db, job.id, ACTIVE, 'cancelled', {
      message: `cancelled before it ran: ${why}`,
      fields: { error_code: 'CANCELLED', error_message: why },
      closeRun: 'cancelled',
    });
    return { kind: 'finished', status: 'cancelled' };
  }

  private async settle(job: JobRow, outcome: JobOutcome, reason: StopReason | undefined, attempt: number, maxAttempts: number): Promise<Verdict> {
    const { db, logger } = this.deps;
    const log = logger.child({ jobId: job.id, workerId: this.deps.workerId });
    const lost = (): Verdict => {
      log.warn('job changed state while it ran (cancelled, or declared stalled); its outcome is not recorded');
      return { kind: 'skipped', reason: 'state changed while running' };
    };
    if (outcome.status === 'success') {
      const t = outcome.totals;
      const moved = await moveJob(db, job.id, ['running'], 'success', {
        message: t ? `succeeded: ${t.extracted} rows extracted, ${t.loaded} loaded in ${t.durationSeconds.toFixed(1)} s` : 'succeeded',
        meta: t ? { totals: t } : undefined,
        closeRun: 'completed',
        clearError: true,
      });
      if (!moved) return lost();
      return { kind: 'finished', status: 'success' };
    }
    if (reason === 'timeout') {
      const err = new SynqxError('TIMEOUT', 'the run exceeded the pipeline execution_timeout_seconds');
      return (await this.fail(job, err, `failed: ${err.message}`)) ?? lost();
    }
    if (reason === 'shutdown') {
      const moved = await moveJob(db, job.id, ['running'], 'queued', {
        level: 'warning',
        message: `worker ${this.deps.workerId} shut down before the run finished; the job is queued again`,
      });
      return moved ? { kind: 'requeue' } : lost();
    }
    if (outcome.status === 'cancelled' || reason === 'cancel') {
      const current = await runRepo.getJob(db, job.id);
      const why = current?.cancel_reason ?? 'cancelled';
      const moved = await moveJob(db, job.id, ['running'], 'cancelled', {
        level: 'warning',
        message: `cancelled while running: ${why}`,
        fields: { error_code: 'CANCELLED', error_message: why },
        closeRun: 'cancelled',
      });
      return moved ? { kind: 'finished', status: 'cancelled' } : lost();
    }
    const err = outcome.error ?? new SynqxError('INTERNAL', 'the runner reported a failure without an error', { domain: 'internal' });
    if (err.retryable && attempt < maxAttempts) {
      const moved = await moveJob(db, job.id, ['running'], 'retrying', {
        level: 'warning',
        message: `attempt ${attempt} of ${maxAttempts} failed (${err.code}: ${err.message}); it will be retried`,
        fields: { error_code: err.code, error_message: err.message },
      });
      return moved ? { kind: 'retry', attempt, error: err } : lost();
    }
    const why = err.retryable ? `failed after ${attempt} attempt(s)` : `failed with a permanent error, not retried`;
    return (await this.fail(job, err, `${why} (${err.code}): ${err.message}`)) ?? lost();
  }

  private async fail(job: JobRow, err: SynqxError, message: string): Promise<Verdict | undefined> {
    const moved = await moveJob(this.deps.db, job.id, ['running'], 'failed', {
      level: 'error',
      message,
      fields: { error_code: err.code, error_message: err.message },
      closeRun: 'failed',
    });
    return moved ? { kind: 'finished', status: 'failed', error: err } : undefined;
  }
}
