import { nextFireTime } from '../core/cron.js';
import type { Logger } from '../platform/logger.js';
import type { Db } from '../store/db.js';
import { jobStateRepo } from '../store/repos/job-state-repo.js';
import { pipelineRepo } from '../store/repos/pipeline-repo.js';
import { scheduleRepo, type FiringOutcome, type FiringRow } from '../store/repos/schedule-repo.js';
import { admit, enqueueAdmitted, isOverlap, type Admitted } from './job-admission.js';
import type { JobProducer } from './job-producer.js';
import { SynqxError } from '../core/errors.js';

export interface Firing {
  pipelineId: number;
  /** The cron slot being fired (not the moment the timer went off). */
  slot: Date;
  /** The schedule the slot was computed from; a firing for a schedule changed since is dropped. */
  cron: string;
  timezone: string;
  schedulerId: string;
}

export type FireResult =
  | { outcome: FiringOutcome; firingId: number; jobId?: number; blockingJobId?: number }
  | { outcome: 'duplicate' | 'stale' };

/** What a scheduler needs of a pipeline it fires: its id and its schedule. */
export interface PipelineSchedule {
  id: number;
  schedule_cron: string | null;
  schedule_timezone: string;
}

const scheduleOf = (p: PipelineSchedule): PipelineSchedule => ({ id: p.id, schedule_cron: p.schedule_cron, schedule_timezone: p.schedule_timezone });

export interface ScheduleServiceDeps {
  db: Db;
  logger: Logger;
  producer: JobProducer;
}

/**
 * Turns a schedule slot into (at most) one job. The slot is claimed in schedule_firings in the same
 * transaction that admits the job, under the pipeline row lock, so any number of schedulers may fire
 * the same slot: exactly one claims it, the others see a duplicate.
 */
export class ScheduleService {
  constructor(private readonly deps: ScheduleServiceDeps) {}

  async fire(f: Firing): Promise<FireResult> {
    let admitted: Admitted | undefined;
    const result = await this.deps.db.transaction(async (tx): Promise<FireResult> => {
      const p = await jobStateRepo.lockPipeline(tx, f.pipelineId);
      const current = p && p.status === 'active' && p.schedule_enabled && p.schedule_cron?.trim() === f.cron && p.schedule_timezone === f.timezone;
      if (!current) return { outcome: 'stale' };
      const firingId = await scheduleRepo.claimSlot(tx, { pipelineId: f.pipelineId, slot: f.slot, cron: f.cron, timezone: f.timezone, schedulerId: f.schedulerId });
      if (firingId === undefined) return { outcome: 'duplicate' };
      try {
        admitted = await admit(tx, {
          pipelineId: f.pipelineId,
          triggerType: 'schedule',
          payload: { slot: f.slot.toISOString(), schedule_cron: f.cron, schedule_timezone: f.timezone, scheduler_id: f.schedulerId },
          refusePaused: true,
        });
        await scheduleRepo.settle(tx, firingId, { outcome: 'enqueued', jobId: admitted.job.id });
        return { outcome: 'enqueued', firingId, jobId: admitted.job.id };
      } catch (err) {
        // Admission refusals are decided by checks, not failed statements, so the transaction is intact.
        if (isOverlap(err)) {
          const blocking = err.details.running_job_id;
          await scheduleRepo.settle(tx, firingId, { outcome: 'skipped_overlap', blockingJobId: blocking, message: err.message });
          return { outcome: 'skipped_overlap', firingId, blockingJobId: blocking };
        }
        if (err instanceof SynqxError && err.code === 'CONFLICT') {
          await scheduleRepo.settle(tx, firingId, { outcome: 'skipped_no_version', message: err.message });
          return { outcome: 'skipped_no_version', firingId };
        }
        throw err;
      }
    });
    if (admitted && 'firingId' in result) {
      const { job } = admitted;
      try {
        await enqueueAdmitted(this.deps.db, this.deps.producer, admitted);
      } catch (err) {
        await scheduleRepo.settle(this.deps.db, result.firingId, { outcome: 'failed', jobId: job.id, message: (err as Error).message });
        this.deps.logger.error({ err, pipelineId: f.pipelineId, jobId: job.id }, 'scheduled job could not be queued');
        return { ...result, outcome: 'failed' };
      }
    }
    if (result.outcome !== 'duplicate' && result.outcome !== 'stale') this.deps.logger.info({ pipelineId: f.pipelineId, slot: f.slot.toISOString(), ...result }, 'schedule fired');
    return result;
  }

  /** Schedules of the active pipelines with schedule_enabled, by pipeline id: what the schedulers keep armed. */
  async scheduledPipelines(): Promise<PipelineSchedule[]> {
    return (await pipelineRepo.listScheduled(this.deps.db)).map(scheduleOf);
  }

  /** The pipeline's schedule if it should fire (active, enabled, with a cron); undefined otherwise or when there is no such pipeline. */
  async activeSchedule(pipelineId: number): Promise<PipelineSchedule | undefined> {
    const p = await pipelineRepo.get(this.deps.db, pipelineId);
    return p && p.status === 'active' && p.schedule_enabled && p.schedule_cron?.trim() ? scheduleOf(p) : undefined;
  }

  async firings(pipelineId: number, limit: number): Promise<{ pipeline_id: number; firings: FiringRow[] }> {
    if (!(await pipelineRepo.get(this.deps.db, pipelineId))) throw SynqxError.notFound('pipeline', pipelineId);
    return { pipeline_id: pipelineId, firings: await scheduleRepo.list(this.deps.db, pipelineId, limit) };
  }
}

/** The next slot strictly after `after`, in the schedule's time zone (same cron-parser as validation uses). */
export function nextSlot(cron: string, timezone: string, after: Date): Date | undefined {
  return nextFireTime(cron, timezone, after);
}
