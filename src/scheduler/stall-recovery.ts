import type { Job, Queue } from 'bullmq';
import type { Logger } from '../platform/logger.js';
import { isFinished, moveJob } from '../services/job-lifecycle.js';
import type { JobProducer } from '../services/job-producer.js';
import type { Db } from '../store/db.js';
import { ACTIVE, jobStateRepo } from '../store/repos/job-state-repo.js';
import { runRepo } from '../store/repos/run-repo.js';
import type { InProcessDispatcher } from './inprocess-dispatcher.js';
import { jobIdOfQueueJob, queueJobIdOf, type RunJobData } from './queue-names.js';

export interface RecoveryContext {
  db: Db;
  logger: Logger;
  queue: Queue<RunJobData>;
  maxStalledCount: number;
}

const LOST = 'worker lost: it stopped renewing its lock (killed, crashed or cut off from Redis)';

/**
 * BullMQ moved a job whose worker stopped renewing its lock back to the waiting list. Record it at
 * once, so the job leaves `running`: `retrying` when BullMQ will run it again, `failed` when it has
 * stalled more than maxStalledCount times (BullMQ then fails it on the next pickup), `cancelled`
 * when a cancel was pending.
 */
export async function onBullStalled(ctx: RecoveryContext, queueJobId: string): Promise<void> {
  const jobId = jobIdOfQueueJob(queueJobId);
  if (jobId === undefined) return;
  const row = await runRepo.getJob(ctx.db, jobId);
  if (!row || row.status !== 'running') return;
  const entry = await ctx.queue.getJob(queueJobId);
  const worker = row.worker_id ?? 'unknown';
  // Another worker may take the job over while this runs; then its newer `running` stands.
  const expect = { workerId: row.worker_id, updatedAt: row.updated_at };
  if (row.cancel_requested_at) {
    await moveJob(ctx.db, jobId, ['running'], 'cancelled', {
      level: 'warning',
      message: `worker ${worker} stopped while the job was being cancelled`,
      fields: { error_code: 'CANCELLED', error_message: row.cancel_reason ?? 'cancelled' },
      closeRun: 'cancelled',
      expect,
    });
    await ctx.queue.remove(queueJobId).catch(() => 0);
  } else if (entry?.deferredFailure) {
    await moveJob(ctx.db, jobId, ['running'], 'failed', {
      level: 'error',
      message: `worker ${worker} stopped responding and the job has stalled more than ${ctx.maxStalledCount} time(s); failed`,
      fields: { error_code: 'UNAVAILABLE', error_message: LOST },
      closeRun: 'failed',
      expect,
    });
  } else {
    await moveJob(ctx.db, jobId, ['running'], 'retrying', {
      level: 'warning',
      message: `worker ${worker} stopped responding; the job is queued to run again`,
      fields: { error_code: 'UNAVAILABLE', error_message: LOST },
      expect,
    });
  }
  ctx.logger.warn({ jobId, worker }, 'stalled job recovered');
}

/**
 * BullMQ failed a job for good without our executor recording it (a deferred stall failure, a lost
 * lock while finishing). Retried attempts also raise 'failed'; those are left alone.
 */
export async function onBullFailed(ctx: RecoveryContext, entry: Job<RunJobData> | undefined, err: Error): Promise<void> {
  const jobId = entry?.data?.jobId;
  if (!entry || typeof jobId !== 'number') return;
  const row = await runRepo.getJob(ctx.db, jobId);
  if (!row || isFinished(row.status)) return;
  if ((await entry.getState()) !== 'failed') return;
  await moveJob(ctx.db, jobId, ACTIVE, 'failed', {
    level: 'error',
    message: `the queue failed the job: ${err.message}`,
    fields: { error_code: 'UNAVAILABLE', error_message: err.message },
    closeRun: 'failed',
  });
}

const LIVE_STATES = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'paused']);

/**
 * Compares active rows of the jobs table with the queue, for what no event reports: a process that
 * died between admitting a job and queuing it, or queue entries lost with Redis data. Rows younger
 * than `graceMs` are left alone (their enqueue may be in flight).
 */
export async function reconcileOrphans(ctx: RecoveryContext, producer: JobProducer, graceMs: number): Promise<number> {
  let fixed = 0;
  for (const row of await jobStateRepo.jobsIn(ctx.db, ACTIVE, 500)) {
    if (Date.now() - new Date(row.updated_at).getTime() < graceMs) continue;
    const state = await ctx.queue.getJobState(queueJobIdOf(row.id));
    if (LIVE_STATES.has(state)) continue;
    if (state === 'unknown' && row.status !== 'running') {
      if (row.status === 'pending') await moveJob(ctx.db, row.id, ['pending'], 'queued', { message: 'queued by the orphan check (its process stopped before queuing it)' });
      await producer.enqueue({ id: row.id, pipeline_id: row.pipeline_id, max_retries: row.max_retries });
      await runRepo.appendJobLog(ctx.db, row.id, 'warning', 'its queue entry was missing; queued again', { status: row.status }, 'dispatcher');
    } else {
      await moveJob(ctx.db, row.id, ACTIVE, 'failed', {
        level: 'error',
        message: `the queue has no live entry for this ${row.status} job (state: ${state}); failed`,
        fields: { error_code: 'UNAVAILABLE', error_message: `queue entry ${state === 'unknown' ? 'lost' : state}` },
        closeRun: 'failed',
      });
    }
    fixed += 1;
  }
  if (fixed > 0) ctx.logger.warn({ fixed }, 'orphaned jobs reconciled');
  return fixed;
}

/**
 * Embedded mode, at start: the previous process is gone, so jobs it was running are failed (their
 * loads rolled back with its connections), and jobs it held in memory are queued again.
 */
export async function recoverAfterCrash(db: Db, dispatcher: InProcessDispatcher, logger: Logger): Promise<{ failed: number; requeued: number }> {
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
  for (const row of await jobStateRepo.jobsIn(db, ['pending', 'queued', 'retrying'])) {
    if (row.status === 'pending') await moveJob(db, row.id, ['pending'], 'queued', { message: 'queued at restart' });
    try {
      dispatcher.enqueueAttempt(row.id, row.status === 'retrying' ? row.attempt + 1 : row.attempt);
      requeued += 1;
    } catch (err) {
      logger.error({ err, jobId: row.id }, 'could not queue a recovered job');
    }
  }
  if (failed + requeued > 0) logger.warn({ failed, requeued }, 'recovered jobs left by the previous process');
  return { failed, requeued };
}
