import type { Redis } from 'ioredis';
import type { Logger } from '../platform/logger.js';
import type { DispatchServiceFactory } from '../services/dispatch-service-factory.js';
import type { DispatchServices } from '../services/dispatch-services.js';
import type { JobProducer } from '../services/job-producer.js';
import type { JobRunner } from '../services/job-runner.js';
import type { MetricsService } from '../services/metrics-service.js';
import type { PipelineService } from '../services/pipeline-service.js';
import type { RunService } from '../services/run-service.js';
import type { ScheduleService } from '../services/schedule-service.js';
import { BullProducer } from './bullmq-producer.js';
import { BullScheduleSync, startBullScheduler, type SchedulerHandle } from './bullmq-scheduler.js';
import { startBullWorker, type WorkerHandle } from './bullmq-worker.js';
import { CronTimerScheduler } from './cron-timer-scheduler.js';
import type { DispatchConfig } from './dispatch-config.js';
import { InProcessDispatcher } from './inprocess-dispatcher.js';
import { watchCancelRequests } from './cancel-watch.js';
import { closeRedis, createRedis } from './redis-connection.js';
import { PROCESS_WORKER_ID } from './worker-id.js';

export type { SchedulerHandle } from './bullmq-scheduler.js';
export type { WorkerHandle } from './bullmq-worker.js';

export interface DispatchDeps {
  /** The services over the metadata store; the dispatch builds its own over the producer it picks. */
  serviceFactory: DispatchServiceFactory;
  logger: Logger;
  config: DispatchConfig;
  /** When given, schedule changes made through this process's API apply at once (no restart, no resync wait). */
  pipelines?: Pick<PipelineService, 'onChange'>;
}

export interface WorkerOptions {
  runner: JobRunner;
  concurrency?: number;
  /** Tests run several workers in one process; otherwise one id per process. */
  workerId?: string;
}

type Engine =
  | { kind: 'bullmq'; redis: Redis; producer: BullProducer; sync: BullScheduleSync }
  | { kind: 'embedded'; producer: InProcessDispatcher; schedulers: Set<CronTimerScheduler>; worker?: WorkerHandle };

/**
 * The dispatch side of one process: the producer (BullMQ with REDIS_URL, else in process) and the
 * use cases built on it. Workers and schedulers are started from it (`startWorker`,
 * `startScheduler`) by the commands that need them; `close()` stops whatever is still running.
 */
export class Dispatch {
  readonly runs: RunService;
  readonly schedules: ScheduleService;
  readonly metrics: MetricsService;
  private readonly handles = new Set<{ close(): Promise<void> }>();
  private readonly unsubscribes: Array<() => void> = [];

  private constructor(
    private readonly deps: DispatchDeps,
    private readonly engine: Engine,
    services: DispatchServices,
  ) {
    this.runs = services.runs;
    this.schedules = services.schedules;
    this.metrics = services.metrics;
    if (deps.pipelines) this.followPipelineChanges(deps.pipelines);
  }

  /**
   * Applies schedule changes made through this process's PipelineService at once (the periodic
   * sync covers changes made elsewhere). For composition roots that build the services after
   * the dispatch.
   */
  followPipelineChanges(pipelines: Pick<PipelineService, 'onChange'>): void {
    this.unsubscribes.push(
      pipelines.onChange((change) => {
        void this.scheduleChanged(change.pipelineId).catch((err: unknown) =>
          this.deps.logger.warn({ err, pipelineId: change.pipelineId }, 'schedule change not applied yet; the periodic sync will'),
        );
      }),
    );
  }

  static async create(deps: DispatchDeps): Promise<Dispatch> {
    const { config, logger } = deps;
    const servicesOver = (producer: JobProducer) => deps.serviceFactory.dispatchServices({ producer, logger, pollMs: config.pollMs });
    if (!config.redisUrl) {
      const producer = new InProcessDispatcher({ logger, capacity: config.localQueueCapacity, retryBackoffMs: config.retryBackoffMs });
      return new Dispatch(deps, { kind: 'embedded', producer, schedulers: new Set() }, servicesOver(producer));
    }
    const redis = createRedis(config.redisUrl, 'producer', logger);
    const producer = new BullProducer(redis, { prefix: config.queuePrefix, retryBackoffMs: config.retryBackoffMs });
    const services = servicesOver(producer);
    const sync = new BullScheduleSync(services.schedules, redis, config.queuePrefix, logger);
    return new Dispatch(deps, { kind: 'bullmq', redis, producer, sync }, services);
  }

  get mode(): JobProducer['mode'] {
    return this.engine.producer.mode;
  }

  get producer(): JobProducer {
    return this.engine.producer;
  }

  /** Runs jobs in this process. Embedded mode first recovers jobs the previous process left behind. */
  async startWorker(opts: WorkerOptions): Promise<WorkerHandle> {
    const { serviceFactory, logger, config } = this.deps;
    const workerId = opts.workerId ?? PROCESS_WORKER_ID;
    const concurrency = opts.concurrency ?? config.workerConcurrency;
    const engine = this.engine;
    if (engine.kind === 'bullmq') {
      const handle = await startBullWorker({ serviceFactory, logger, config, runner: opts.runner, workerId, concurrency, queue: engine.producer.queue });
      return this.track(handle);
    }
    if (engine.worker) throw new Error('an in-process worker is already running');
    const log = logger.child({ workerId });
    const executor = serviceFactory.executor({ logger: log, runner: opts.runner, workerId });
    await serviceFactory.recovery(log).recoverAfterCrash((jobId, attempt, priority) => engine.producer.enqueueAttempt(jobId, attempt, priority));
    engine.producer.attach(executor, concurrency);
    const stopPoll = watchCancelRequests(executor, config.cancelPollMs, log);
    log.info({ concurrency }, 'worker started (in process)');
    const handle: WorkerHandle = {
      workerId,
      inFlight: () => executor.inFlight(),
      close: async () => {
        stopPoll();
        await engine.producer.detach(config.shutdownTimeoutMs);
        engine.worker = undefined;
        log.info('worker stopped');
      },
    };
    engine.worker = handle;
    return this.track(handle);
  }

  /** Fires schedules from this process (any number of schedulers may run; each slot fires once). */
  async startScheduler(opts: { schedulerId?: string } = {}): Promise<SchedulerHandle> {
    const { serviceFactory, logger, config } = this.deps;
    const schedulerId = opts.schedulerId ?? PROCESS_WORKER_ID;
    const engine = this.engine;
    if (engine.kind === 'bullmq') {
      const handle = await startBullScheduler({ serviceFactory, logger, config, schedulerId, sync: engine.sync, schedules: this.schedules, producer: engine.producer });
      return this.track(handle);
    }
    const scheduler = new CronTimerScheduler({ logger, schedules: this.schedules, schedulerId, resyncMs: config.scheduleSyncMs });
    await scheduler.start();
    engine.schedulers.add(scheduler);
    const handle: SchedulerHandle = {
      schedulerId,
      nextSlot: (id) => scheduler.nextSlot(id),
      close: async () => {
        engine.schedulers.delete(scheduler);
        await scheduler.close();
      },
    };
    return this.track(handle);
  }

  /** Applies one pipeline's schedule change (called on PipelineService changes). */
  async scheduleChanged(pipelineId: number): Promise<void> {
    if (this.engine.kind === 'bullmq') await this.engine.sync.syncPipeline(pipelineId);
    else await Promise.all([...this.engine.schedulers].map((s) => s.syncPipeline(pipelineId)));
  }

  async close(): Promise<void> {
    this.unsubscribes.splice(0).forEach((u) => u());
    for (const h of [...this.handles].reverse()) await h.close();
    this.handles.clear();
    if (this.engine.kind === 'bullmq') {
      await this.engine.sync.close();
      await this.engine.producer.close();
      await closeRedis(this.engine.redis);
    }
  }

  private track<H extends { close(): Promise<void> }>(handle: H): H {
    const close = handle.close.bind(handle);
    const tracked = Object.assign(handle, {
      close: async () => {
        this.handles.delete(tracked);
        await close();
      },
    });
    this.handles.add(tracked);
    return tracked;
  }
}

/** The factory the container and the CLI call. */
export function createDispatch(deps: DispatchDeps): Promise<Dispatch> {
  return Dispatch.create(deps);
}
