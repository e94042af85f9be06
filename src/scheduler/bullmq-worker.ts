import { DelayedError, UnrecoverableError, Worker, type Queue } from 'bullmq';
import type { Logger } from '../platform/logger.js';
import type { DispatchServiceFactory } from '../services/dispatch-service-factory.js';
import type { JobRunner } from '../services/job-runner.js';
import { watchCancelRequests } from './cancel-watch.js';
import type { DispatchConfig } from './dispatch-config.js';
import { cancelChannel, RUNS_QUEUE, type RunJobData } from './queue-names.js';
import { closeRedis, createRedis } from './redis-connection.js';
import { onBullFailed, onBullStalled, type RecoveryContext } from './stall-recovery.js';

export interface WorkerHandle {
  readonly workerId: string;
  /** Jobs this worker is running right now. */
  inFlight(): number[];
  /** Stops taking work, lets running jobs finish for shutdownTimeoutMs, then stops and re-queues them. */
  close(): Promise<void>;
}

export interface BullWorkerDeps {
  serviceFactory: DispatchServiceFactory;
  logger: Logger;
  config: DispatchConfig;
  runner: JobRunner;
  workerId: string;
  concurrency: number;
  /** The producer's queue, for reading entries when a stall is reported. */
  queue: Queue<RunJobData>;
}

/**
 * A BullMQ worker on the runs queue. The executor's verdict becomes BullMQ's: a plain Error uses
 * one of the job's attempts (BullMQ applies the exponential backoff), UnrecoverableError fails it
 * for good, DelayedError puts it back without spending an attempt (shutdown). Cancel requests
 * arrive on a pub/sub channel and, as a fallback, through a poll of the jobs table.
 */
export async function startBullWorker(d: BullWorkerDeps): Promise<WorkerHandle> {
  const { config, logger } = d;
  const redisUrl = config.redisUrl!;
  const log = logger.child({ workerId: d.workerId });
  const executor = d.serviceFactory.executor({ logger: log, runner: d.runner, workerId: d.workerId });
  const ctx: RecoveryContext = { recovery: d.serviceFactory.recovery(log), queue: d.queue, maxStalledCount: config.maxStalledCount };
  const connection = createRedis(redisUrl, 'worker', log);
  const worker = new Worker<RunJobData>(
    RUNS_QUEUE,
    async (job, token) => {
      const verdict = await executor.execute(job.data.jobId, job.attemptsMade + 1);
      switch (verdict.kind) {
        case 'retry':
          throw new Error(`${verdict.error.code}: ${verdict.error.message}`);
        case 'requeue':
          await job.moveToDelayed(Date.now() + 1000, token);
          throw new DelayedError('worker shutting down');
        case 'finished':
          if (verdict.status === 'failed') throw new UnrecoverableError(verdict.error ? `${verdict.error.code}: ${verdict.error.message}` : 'failed');
          return verdict.status;
        case 'skipped':
          return `skipped: ${verdict.reason}`;
      }
    },
    {
      connection,
      prefix: config.queuePrefix,
      concurrency: d.concurrency,
      lockDuration: config.lockMs,
      stalledInterval: config.stalledIntervalMs,
      maxStalledCount: config.maxStalledCount,
      name: d.workerId,
    },
  );
  const report = (what: string) => (err: unknown) => log.error({ err }, what);
  worker.on('stalled', (id) => void onBullStalled(ctx, id).catch(report('recording a stalled job failed')));
  worker.on('failed', (job, err) => void onBullFailed(ctx, job, err).catch(report('recording a failed job failed')));
  worker.on('error', (err) => log.warn({ err: err.message }, 'worker error'));

  const subscriber = createRedis(redisUrl, 'subscriber', log);
  subscriber.on('message', (_channel: string, message: string) => {
    const id = Number(message);
    if (Number.isSafeInteger(id)) executor.stop(id, 'cancel');
  });
  await subscriber.subscribe(cancelChannel(config.queuePrefix));
  const stopPoll = watchCancelRequests(executor, config.cancelPollMs, log);
  await worker.waitUntilReady();
  log.info({ concurrency: d.concurrency, queue: RUNS_QUEUE, prefix: config.queuePrefix }, 'worker started (BullMQ)');

  let closing: Promise<void> | undefined;
  return {
    workerId: d.workerId,
    inFlight: () => executor.inFlight(),
    close() {
      closing ??= (async () => {
        const running = executor.inFlight();
        if (running.length > 0) log.info({ jobs: running, timeoutMs: config.shutdownTimeoutMs }, 'draining worker');
        const timer = setTimeout(() => {
          log.warn({ jobs: executor.inFlight() }, 'shutdown timeout: stopping running jobs');
          executor.stopAll('shutdown');
        }, config.shutdownTimeoutMs);
        try {
          await worker.close();
        } finally {
          clearTimeout(timer);
          stopPoll();
          await closeRedis(subscriber);
          await closeRedis(connection);
        }
        log.info('worker stopped');
      })();
      return closing;
    },
  };
}
