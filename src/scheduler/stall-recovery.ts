import type { Job, Queue } from 'bullmq';
import type { JobProducer } from '../services/job-producer.js';
import type { JobRecovery } from '../services/job-recovery.js';
import { jobIdOfQueueJob, queueJobIdOf, type RunJobData } from './queue-names.js';

export interface RecoveryContext {
  recovery: JobRecovery;
  queue: Queue<RunJobData>;
  maxStalledCount: number;
}

/**
 * BullMQ moved a job whose worker stopped renewing its lock back to the waiting list; the job
 * leaves `running` at once (JobRecovery.recordStall). BullMQ marks an entry that stalled more than
 * maxStalledCount times with a deferred failure (it fails it on the next pickup).
 */
export async function onBullStalled(ctx: RecoveryContext, queueJobId: string): Promise<void> {
  const jobId = jobIdOfQueueJob(queueJobId);
  if (jobId === undefined) return;
  await ctx.recovery.recordStall(
    jobId,
    {
      failsNext: async () => !!(await ctx.queue.getJob(queueJobId))?.deferredFailure,
      remove: async () => {
        await ctx.queue.remove(queueJobId).catch(() => 0);
      },
    },
    ctx.maxStalledCount,
  );
}

/**
 * BullMQ failed a job for good without our executor recording it (a deferred stall failure, a lost
 * lock while finishing). Retried attempts also raise 'failed'; those are left alone.
 */
export async function onBullFailed(ctx: RecoveryContext, entry: Job<RunJobData> | undefined, err: Error): Promise<void> {
  const jobId = entry?.data?.jobId;
  if (!entry || typeof jobId !== 'number') return;
  await ctx.recovery.recordQueueFailure(jobId, err.message, async () => (await entry.getState()) === 'failed');
}

const LIVE_STATES = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'paused']);

/**
 * Compares active rows of the jobs table with the BullMQ runs queue (JobRecovery.reconcileOrphans):
 * an entry in one of LIVE_STATES may still run the job; 'unknown' means BullMQ has no entry.
 */
export async function reconcileOrphans(ctx: RecoveryContext, producer: JobProducer, graceMs: number): Promise<number> {
  return ctx.recovery.reconcileOrphans(
    producer,
    async (jobId) => {
      const state = await ctx.queue.getJobState(queueJobIdOf(jobId));
      return { live: LIVE_STATES.has(state), missing: state === 'unknown', state };
    },
    graceMs,
  );
}
