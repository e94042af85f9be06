import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../platform/logger.js';
import type { DispatchServiceFactory } from '../services/dispatch-service-factory.js';
import type { PipelineSchedule, ScheduleService } from '../services/schedule-service.js';
import type { BullProducer } from './bullmq-producer.js';
import type { DispatchConfig } from './dispatch-config.js';
import { pipelineIdOfScheduler, RUNS_QUEUE, schedulerIdOf, SCHEDULES_QUEUE, type FireJobData } from './queue-names.js';
import { closeRedis, createRedis } from './redis-connection.js';
import { onBullStalled, reconcileOrphans, type RecoveryContext } from './stall-recovery.js';

export interface SchedulerHandle {
  readonly schedulerId: string;
  /** The next slot the scheduler will fire for a pipeline, if it is scheduled. */
  nextSlot(pipelineId: number): Promise<Date | undefined>;
  close(): Promise<void>;
}

/**
 * Keeps one BullMQ job scheduler per scheduled pipeline (id `pipeline-<id>`, cron pattern and time
 * zone). Any process holding a dispatch may call it: the API process does on every schedule change,
 * so changes apply without a restart, and schedulers re-sync everything periodically.
 */
export class BullScheduleSync {
  readonly queue: Queue<FireJobData>;

  constructor(
    private readonly schedules: ScheduleService,
    redis: Redis,
    prefix: string,
    private readonly logger: Logger,
  ) {
    this.queue = new Queue<FireJobData>(SCHEDULES_QUEUE, { connection: redis, prefix });
  }

  async syncPipeline(pipelineId: number): Promise<void> {
    const p = await this.schedules.activeSchedule(pipelineId);
    if (p) await this.upsert(p);
    else await this.queue.removeJobScheduler(schedulerIdOf(pipelineId));
  }

  async syncAll(): Promise<void> {
    const wanted = await this.schedules.scheduledPipelines();
    const existing = new Map((await this.queue.getJobSchedulers(0, -1)).map((s) => [s.key, s]));
    for (const p of wanted) {
      const s = existing.get(schedulerIdOf(p.id));
      if (!s || s.pattern !== p.schedule_cron!.trim() || s.tz !== p.schedule_timezone) await this.upsert(p);
    }
    const keep = new Set(wanted.map((p) => schedulerIdOf(p.id)));
    for (const key of existing.keys()) {
      if (pipelineIdOfScheduler(key) !== undefined && !keep.has(key)) await this.queue.removeJobScheduler(key);
    }
  }

  async nextSlot(pipelineId: number): Promise<Date | undefined> {
    const s = await this.queue.getJobScheduler(schedulerIdOf(pipelineId));
    return s?.next ? new Date(s.next) : undefined;
  }

  private async upsert(p: PipelineSchedule): Promise<void> {
    const cron = p.schedule_cron!.trim();
    await this.queue.upsertJobScheduler(
      schedulerIdOf(p.id),
      { pattern: cron, tz: p.schedule_timezone },
      { name: 'fire', data: { pipelineId: p.id, cron, timezone: p.schedule_timezone }, opts: { removeOnComplete: 100, removeOnFail: 100 } },
    );
    this.logger.debug({ pipelineId: p.id, cron, tz: p.schedule_timezone }, 'schedule synced');
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

export interface BullSchedulerDeps {
  serviceFactory: DispatchServiceFactory;
  logger: Logger;
  config: DispatchConfig;
  schedulerId: string;
  sync: BullScheduleSync;
  schedules: ScheduleService;
  producer: BullProducer;
}

/**
 * The scheduler process in BullMQ mode: turns job-scheduler firings into jobs (one per slot, see
 * ScheduleService.fire), re-syncs schedules, runs the stalled-job check on the runs queue (so a
 * killed worker's job is recovered even when no other worker is alive) and reconciles orphans.
 */
export async function startBullScheduler(d: BullSchedulerDeps): Promise<SchedulerHandle> {
  const { config } = d;
  const log = d.logger.child({ schedulerId: d.schedulerId });
  const url = config.redisUrl!;
  await d.sync.syncAll();

  const fireConnection = createRedis(url, 'worker', log);
  const fireWorker = new Worker<FireJobData>(
    SCHEDULES_QUEUE,
    async (job) => {
      const slot = job.opts.prevMillis ?? Number(/:(\d+)$/.exec(job.id ?? '')?.[1]);
      if (!Number.isFinite(slot)) return 'no slot';
      const r = await d.schedules.fire({ pipelineId: job.data.pipelineId, slot: new Date(slot), cron: job.data.cron, timezone: job.data.timezone, schedulerId: d.schedulerId });
      return r.outcome;
    },
    { connection: fireConnection, prefix: config.queuePrefix, concurrency: 8, name: d.schedulerId },
  );
  fireWorker.on('error', (err) => log.warn({ err: err.message }, 'schedule worker error'));

  const ctx: RecoveryContext = { recovery: d.serviceFactory.recovery(log), queue: d.producer.queue, maxStalledCount: config.maxStalledCount };
  const watchConnection = createRedis(url, 'worker', log);
  const watcher = new Worker(RUNS_QUEUE, null, {
    connection: watchConnection,
    prefix: config.queuePrefix,
    autorun: false,
    lockDuration: config.lockMs,
    stalledInterval: config.stalledIntervalMs,
    maxStalledCount: config.maxStalledCount,
    name: `${d.schedulerId}:stall-watch`,
  });
  watcher.on('stalled', (id) => void onBullStalled(ctx, id).catch((err: unknown) => log.error({ err }, 'recording a stalled job failed')));
  watcher.on('error', (err) => log.warn({ err: err.message }, 'stall watcher error'));
  await fireWorker.waitUntilReady();
  await watcher.waitUntilReady();
  void watcher.startStalledCheckTimer();

  const syncTimer = setInterval(() => void d.sync.syncAll().catch((err: unknown) => log.warn({ err }, 'schedule sync failed')), config.scheduleSyncMs);
  const orphanTimer = setInterval(
    () => void reconcileOrphans(ctx, d.producer, Math.max(10_000, config.orphanCheckMs)).catch((err: unknown) => log.warn({ err }, 'orphan check failed')),
    config.orphanCheckMs,
  );
  syncTimer.unref();
  orphanTimer.unref();
  log.info({ prefix: config.queuePrefix }, 'scheduler started (BullMQ job schedulers)');

  let closing: Promise<void> | undefined;
  return {
    schedulerId: d.schedulerId,
    nextSlot: (id) => d.sync.nextSlot(id),
    close() {
      closing ??= (async () => {
        clearInterval(syncTimer);
        clearInterval(orphanTimer);
        await fireWorker.close();
        await watcher.close();
        await closeRedis(fireConnection);
        await closeRedis(watchConnection);
        log.info('scheduler stopped');
      })();
      return closing;
    },
  };
}
