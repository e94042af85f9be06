import type { Logger } from '../platform/logger.js';
import type { Db } from '../store/db.js';
import { ACTIVE, jobStateRepo } from '../store/repos/job-state-repo.js';
import { runRepo } from '../store/repos/run-repo.js';
import { isFinished, moveJob } from './job-lifecycle.js';
import type { JobProducer } from './job-producer.js';

export interface JobRecoveryDeps {
  db: Db;
  logger: Logger;
}

/** The queue entry of a job a queue reported stalled. */
export interface StalledEntry {
  /** True when the queue fails the job on its next pickup (it stalled more than maxStalledCount times). */
  failsNext(): Promise<boolean>;
  /** Drops the entry (the job was being cancelled). Never throws. */
  remove(): Promise<void>;
}

/** What the queue holds for a job, for the orphan check. */
export interface QueueEntryState {
  /** The entry may still run the job (waiting, active, delayed…). */
  live: boolean;
  /** The queue has no entry for the job. */
  missing: boolean;
  /** The state in the queue's own words, for the job's log. */
  state: string;
}

const LOST = 'worker lost: it stopped renewing its lock (killed, crashed or cut off from Redis)';

/**
 * Records in the jobs table what the queue noticed and the runner could not: a stalled or lost
 * worker, a job the queue failed on its own, an entry that went missing, a process that died. Every
 * change goes through moveJob, so a report that lost a race (a newer state) is not applied.
 */
export class JobRecovery {
  constructor(private readonly deps: JobRecoveryDeps) {}

  /**
   * The queue moved a job whose worker stopped renewing its lock back to waiting. Recorded at once, so
   * the job leaves `running`: `retrying` when the queue will run it again, `failed` when it has
   * stalled more than maxStalledCount times, `cancelled` when a cancel was pending.
   */
  async recordStall(jobId: number, entry: StalledEntry, maxStalledCount: number): Promise<void> {
    const { db, logger } = this.deps;
    const row = await runRepo.getJob(db, jobId);
    if (!row || row.status !== 'running') return;
    const failsNext = await entry.failsNext();
    const worker = row.worker_id ?? 'unknown';
    // Another worker may take the job over while this runs; then its newer `running` stands.
    const expect = { workerId: row.worker_id, updatedAt: row.updated_at };
    if (row.cancel_requested_at) {
      await moveJob(db, jobId, ['running'], 'cancelled', {
        level: 'warning',
        message: `worker ${worker} stopped while the job was being cancelled`,
        fields: { error_code: 'CANCELLED', error_message: row.cancel_reason ?? 'cancelled' },
        closeRun: 'cancelled',
        expect,
      });
      await entry.remove();
    } else if (failsNext) {
      await moveJob(db, jobId, ['running'], 'failed', {
        level: 'error',
        message: `worker ${worker} stopped responding and the job has stalled more than ${maxStalledCount} time(s); failed`,
        fields: { error_code: 'UNAVAILABLE', error_message: LOST },
        closeRun: 'failed',
        expect,
      });
    } else {
      await moveJob(db, jobId, ['running'], 'retrying', {
        level: 'warning',
        message: `worker ${worker} stopped responding; the job is queued to run again`,
        fields: { error_code: 'UNAVAILABLE', error_message: LOST },
        expect,
      });
    }
    logger.warn({ jobId, worker }, 'stalled job recovered');
  }

  /**
   * The queue failed a job for good without the executor recording it (a deferred stall failure, a
   * lost lock while finishing). `failedForGood` asks the queue; retried attempts answer false.
   */
  async recordQueueFailure(jobId: number, message: string, failedForGood: () => Promise<boolean>): Promise<void> {
    const { db } = this.deps;
    const row = await runRepo.getJob(db, jobId);
    if (!row || isFinished(row.status)) return;
    if (!(await failedForGood())) return;
    await moveJob(db, jobId, ACTIVE, 'failed', {
      level: 'error',
      message: `the queue failed the job: ${message}`,
      fields: { error_code: 'UNAVAILABLE', error_message: message },
      closeRun: 'failed',
    });
  }

  /**
   * Compares active rows of the jobs table with the queue, for what no event reports: a process that
   * died between admitting a job and queuing it, or queue entries lost with Redis data. Rows younger
   * than `graceMs` are left alone (their enqueue may be in flight). Returns how many were fixed.
   */
  async reconcileOrphans(producer: JobProducer, entryOf: (jobId: number) => Promise<QueueEntryState>, graceMs: number): Promise<number> {
    const { db, logger } = this.deps;
    let fixed = 0;
    const rows = await jobStateRepo.jobsIn(db, ACTIVE, 500);
    // One query for the pipelines of all rows, made only once a row needs queuing again.
    let priorities: Map<number, number> | undefined;
    for (const row of rows) {
      if (Date.now() - new Date(row.updated_at).getTime() < graceMs) continue;
      const entry = await entryOf(row.id);
      if (entry.live) continue;
      if (entry.missing && row.status !== 'running') {
        if (row.status === 'pending') await moveJob(db, row.id, ['pending'], 'queued', { message: 'queued by the orphan check (its process stopped before queuing it)' });
        priorities ??= await jobStateRepo.priorities(db, rows.map((r) => r.pipeline_id));
        await producer.enqueue({ id: row.id, pipeline_id: row.pipeline_id, max_retries: row.max_retries, priority: priorities.get(Number(row.pipeline_id)) });
        await runRepo.appendJobLog(db, row.id, 'warning', 'its queue entry was missing; queued again', { status: row.status }, 'dispatcher');
      } else {
        await moveJob(db, row.id, ACTIVE, 'failed', {
          level: 'error',
          message: `the queue has no live entry for this ${row.status} job (state: ${entry.state}); failed`,
          fields: { error_code: 'UNAVAILABLE', error_message: `queue entry ${entry.missing ? 'lost' : entry.state}` },
          closeRun: 'failed',
        });
      }
      fixed += 1;
    }
    if (fixed > 0) logger.warn({ fixed }, 'orphaned jobs reconciled');
    return fixed;
  }

  /**
   * Embedded mode, at start: the previous process is gone, so jobs it was running are failed (their
   * loads rolled back with its connections), and jobs it held in memory are handed to `requeue`
   * with the attempt they are at (it may throw: a full queue; the job then waits for the next start).
   */
  async recoverAfterCrash(requeue: (jobId: number, attempt: number, priority: number | undefined) => void): Promise<{ failed: number; requeued: number }> {
    const { db, logger } = this.deps;
    let failed = 0;
    let requeued = 0;
    for (const row of await jobStateRepo.jobsIn(db, ['running'])) {
      const moved = await moveJob(db, row.id, ['running'], 'failed', {
        level: 'error',
        message: `the process stopped while worker ${row.worker_id ?? 'unknown'} was running the job; marked failed at restart`,
        fields: { error_code: 'UNAVAILABLE', error_message: 'interrupted: the SynqX process stopped while the job was running' },
        closeRun: 'failed',
      });
      if (moved) failed += 1;
    }
    const waiting = await jobStateRepo.jobsIn(db, ['pending', 'queued', 'retrying']);
    const priorities = await jobStateRepo.priorities(db, waiting.map((r) => r.pipeline_id));
    for (const row of waiting) {
      if (row.status === 'pending') await moveJob(db, row.id, ['pending'], 'queued', { message: 'queued at restart' });
      try {
        requeue(row.id, row.status === 'retrying' ? row.attempt + 1 : row.attempt, priorities.get(Number(row.pipeline_id)));
        requeued += 1;
      } catch (err) {
        logger.error({ err, jobId: row.id }, 'could not queue a recovered job');
      }
    }
    if (failed + requeued > 0) logger.warn({ failed, requeued }, 'recovered jobs left by the previous process');
    return { failed, requeued };
  }
}
