import type { Logger } from '../platform/logger.js';
import type { Db } from '../store/db.js';
import type { DispatchServices } from './dispatch-services.js';
import { JobExecutor } from './job-executor.js';
import type { JobProducer } from './job-producer.js';
import { JobRecovery } from './job-recovery.js';
import type { JobRunner } from './job-runner.js';
import { MetricsService } from './metrics-service.js';
import { RunService } from './run-service.js';
import { ScheduleService } from './schedule-service.js';

/**
 * Builds the services the dispatch of a process runs on, over one metadata store. The dispatch
 * (src/scheduler) chooses the queue, so it makes the producer first and then asks for the services
 * over it; it holds these services, never the store.
 */
export class DispatchServiceFactory {
  constructor(private readonly db: Db) {}

  /** Trigger, cancel, retry and the read side of jobs (runs), schedule firings, and metrics, over `producer`'s queue. */
  dispatchServices(opts: { producer: JobProducer; logger: Logger; pollMs: number }): DispatchServices {
    const { db } = this;
    const { producer, logger } = opts;
    return {
      runs: new RunService({ db, logger, producer, pollMs: opts.pollMs }),
      schedules: new ScheduleService({ db, logger, producer }),
      metrics: new MetricsService({ db, producer }),
    };
  }

  /** Runs the deliveries of one worker (`workerId`) through `runner`. */
  executor(opts: { runner: JobRunner; logger: Logger; workerId: string }): JobExecutor {
    return new JobExecutor({ db: this.db, ...opts });
  }

  recovery(logger: Logger): JobRecovery {
    return new JobRecovery({ db: this.db, logger });
  }
}
