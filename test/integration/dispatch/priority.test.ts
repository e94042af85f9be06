import test from 'ava';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { createLogger } from '../../../src/platform/logger.js';
import { BullProducer } from '../../../src/scheduler/bullmq-producer.js';
import { InProcessDispatcher } from '../../../src/scheduler/inprocess-dispatcher.js';
import { RUNS_QUEUE, type RunJobData } from '../../../src/scheduler/queue-names.js';
import type { JobExecutor } from '../../../src/services/job-executor.js';
import { dropRedisPrefix, TEST_REDIS_URL, uniquePrefix } from '../../helpers/dispatch-fixtures.js';

// Waiting jobs start highest pipeline priority first (10 … 1), then oldest first, in both dispatch modes.
const waiting = [
  { id: 1, priority: 5 },
  { id: 2, priority: 1 },
  { id: 3, priority: 10 },
  { id: 4 }, // no priority given: the default, 5
  { id: 5, priority: 10 },
];
const expected = [3, 5, 1, 4, 2];

test('embedded: the in-process queue starts waiting jobs by priority, then in arrival order', async (t) => {
  const logger = createLogger({ level: 'silent', json: true });
  const dispatcher = new InProcessDispatcher({ logger, capacity: 10, retryBackoffMs: 1 });
  for (const j of waiting) await dispatcher.enqueue({ id: j.id, pipeline_id: 1, max_retries: 0, priority: j.priority });
  const started: number[] = [];
  let allDone!: () => void;
  const done = new Promise<void>((resolve) => (allDone = resolve));
  // The executor is not what this test is about: it only records the order it is handed jobs in.
  const executor = {
    execute: async (jobId: number) => {
      started.push(jobId);
      if (started.length === waiting.length) allDone();
      return { kind: 'finished', status: 'success' } as const;
    },
    stop: () => false,
    stopAll: () => undefined,
  } as unknown as JobExecutor;
  dispatcher.attach(executor, 1);
  await done;
  await dispatcher.detach(1000);
  t.deepEqual(started, expected);
});

test('bullmq: queue entries carry the pipeline priority, and a worker takes them highest first', async (t) => {
  const prefix = uniquePrefix('priority');
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  const producer = new BullProducer(redis, { prefix, retryBackoffMs: 10 });
  t.teardown(async () => {
    await producer.close();
    redis.disconnect();
    await dropRedisPrefix(prefix);
  });
  for (const j of waiting) await producer.enqueue({ id: j.id, pipeline_id: 1, max_retries: 0, priority: j.priority });
  const started: number[] = [];
  const workerRedis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  let allDone!: () => void;
  const done = new Promise<void>((resolve) => (allDone = resolve));
  const worker = new Worker<RunJobData>(
    RUNS_QUEUE,
    async (job) => {
      started.push(job.data.jobId);
      if (started.length === waiting.length) allDone();
    },
    { connection: workerRedis, prefix, concurrency: 1 },
  );
  await done;
  await worker.close();
  workerRedis.disconnect();
  t.deepEqual(started, expected);
});
