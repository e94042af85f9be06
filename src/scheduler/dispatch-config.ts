import { z } from 'zod';
import { SynqxError } from '../core/errors.js';
import type { AppConfig } from '../platform/config.js';

/**
 * Everything dispatch can be tuned with, parsed once from the environment. Defaults suit production;
 * tests pass short intervals through `overrides` instead of changing them.
 *
 * Stall bound (README): a worker killed with `kill -9` holds its job's lock for at most
 * `lockMs`; a live worker or scheduler checks for expired locks every `stalledIntervalMs`, and a
 * job needs two checks to be declared stalled. So the job leaves `running` within
 * lockMs + 2 × stalledIntervalMs (60 s with the defaults).
 */
export interface DispatchConfig {
  /** Undefined: the embedded in-process dispatcher. */
  redisUrl: string | undefined;
  /** BullMQ key prefix; separate SynqX installations (or test files) sharing one Redis use different ones. */
  queuePrefix: string;
  workerConcurrency: number;
  /** SIGTERM: running jobs get this long to finish, then they are stopped and put back in the queue. */
  shutdownTimeoutMs: number;
  lockMs: number;
  stalledIntervalMs: number;
  /** How many times a stalled job is run again before it is failed. */
  maxStalledCount: number;
  /** First retry delay; each further retry waits twice as long. */
  retryBackoffMs: number;
  /** Safety net behind the cancel pub/sub channel: workers also look for cancel requests this often. */
  cancelPollMs: number;
  /** The scheduler re-reads every schedule this often (changes made through the API apply at once anyway). */
  scheduleSyncMs: number;
  /** How often the scheduler compares the jobs table with the queue (lost or half-enqueued jobs). */
  orphanCheckMs: number;
  /** Embedded mode: jobs waiting in memory beyond this are refused with 503. */
  localQueueCapacity: number;
  /** `?wait=true` and SSE look at the job this often. */
  pollMs: number;
}

const int = (min: number, def: number) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), z.coerce.number().int().min(min).default(def));

const envSchema = z.object({
  SYNQX_QUEUE_PREFIX: z.preprocess(
    (v) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined),
    z.string().regex(/^[\w.:-]{1,64}$/, 'letters, digits, "_", ".", ":" and "-" only').default('synqx'),
  ),
  WORKER_CONCURRENCY: int(1, 2),
  WORKER_SHUTDOWN_TIMEOUT_MS: int(0, 30_000),
  JOB_LOCK_MS: int(1000, 30_000),
  STALLED_INTERVAL_MS: int(100, 15_000),
  MAX_STALLED_COUNT: int(0, 1),
  RETRY_BACKOFF_MS: int(0, 5_000),
  CANCEL_POLL_MS: int(100, 2_000),
  SCHEDULE_SYNC_MS: int(100, 30_000),
  ORPHAN_CHECK_MS: int(100, 60_000),
  LOCAL_QUEUE_CAPACITY: int(1, 1_000),
  DISPATCH_POLL_MS: int(10, 250),
});

/** Reads the dispatch settings from the environment; every problem is reported at once, as CONFIG_INVALID. */
export function loadDispatchConfig(env: NodeJS.ProcessEnv, redisUrl: string | undefined, overrides: Partial<DispatchConfig> = {}): DispatchConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message, error_type: i.code }));
    throw new SynqxError('CONFIG_INVALID', `invalid configuration: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`, {
      details: problems,
    });
  }
  const e = parsed.data;
  return {
    redisUrl,
    queuePrefix: e.SYNQX_QUEUE_PREFIX,
    workerConcurrency: e.WORKER_CONCURRENCY,
    shutdownTimeoutMs: e.WORKER_SHUTDOWN_TIMEOUT_MS,
    lockMs: e.JOB_LOCK_MS,
    stalledIntervalMs: e.STALLED_INTERVAL_MS,
    maxStalledCount: e.MAX_STALLED_COUNT,
    retryBackoffMs: e.RETRY_BACKOFF_MS,
    cancelPollMs: e.CANCEL_POLL_MS,
    scheduleSyncMs: e.SCHEDULE_SYNC_MS,
    orphanCheckMs: e.ORPHAN_CHECK_MS,
    localQueueCapacity: e.LOCAL_QUEUE_CAPACITY,
    pollMs: e.DISPATCH_POLL_MS,
    ...overrides,
  };
}

/** `synqx worker` and `synqx scheduler` only make sense with a shared queue. */
export function requireRedis(config: Pick<DispatchConfig, 'redisUrl'>, command: string): string {
  if (!config.redisUrl) {
    throw new SynqxError(
      'CONFIG_INVALID',
      `"synqx ${command}" needs REDIS_URL: separate processes share work through Redis. Without Redis, "synqx start" runs the API, the scheduler and a worker in one process.`,
    );
  }
  return config.redisUrl;
}

/** `synqx worker` and `synqx scheduler` share the queue through Redis and the records through Postgres. */
export function requireSharedStores(app: Pick<AppConfig, 'redisUrl' | 'databaseUrl'>, command: string): void {
  requireRedis(app, command);
  if (!app.databaseUrl) {
    throw new SynqxError(
      'CONFIG_INVALID',
      `"synqx ${command}" needs DATABASE_URL: separate processes share one Postgres metadata store (the embedded store belongs to one process).`,
    );
  }
}

/** Worst-case time a killed worker's job stays `running` (documented in the README). */
export function stallBoundMs(config: Pick<DispatchConfig, 'lockMs' | 'stalledIntervalMs'>): number {
  return config.lockMs + 2 * config.stalledIntervalMs;
}

/** Delay before retry number `attempt` (1-based count of failures so far): base, 2×base, 4×base… like BullMQ's exponential backoff. */
export function backoffMs(base: number, failedAttempts: number): number {
  return Math.round(base * 2 ** Math.max(0, failedAttempts - 1));
}
