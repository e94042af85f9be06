import test from 'ava';
import { BoundedQueue } from '../../../src/scheduler/bounded-queue.js';
import { backoffMs, loadDispatchConfig, requireSharedStores, stallBoundMs } from '../../../src/scheduler/dispatch-config.js';
import { jobIdOfQueueJob, queueJobIdOf } from '../../../src/scheduler/queue-names.js';

test('defaults suit production and bound a killed worker’s job to 60 s', (t) => {
  const c = loadDispatchConfig({}, undefined);
  t.is(c.redisUrl, undefined);
  t.is(c.queuePrefix, 'synqx');
  t.is(c.workerConcurrency, 2);
  t.is(c.lockMs, 30_000);
  t.is(stallBoundMs(c), 60_000);
});

test('environment values are parsed once, every problem reported together', (t) => {
  const c = loadDispatchConfig({ WORKER_CONCURRENCY: '8', JOB_LOCK_MS: '5000', SYNQX_QUEUE_PREFIX: ' tenant-a ' }, 'redis://r:6379');
  t.deepEqual([c.workerConcurrency, c.lockMs, c.queuePrefix, c.redisUrl], [8, 5000, 'tenant-a', 'redis://r:6379']);
  const err = t.throws(() => loadDispatchConfig({ WORKER_CONCURRENCY: '0', JOB_LOCK_MS: 'soon', SYNQX_QUEUE_PREFIX: 'a b' }, undefined));
  t.is((err as any).code, 'CONFIG_INVALID');
  t.deepEqual(((err as any).details as Array<{ field: string }>).map((d) => d.field).sort(), ['JOB_LOCK_MS', 'SYNQX_QUEUE_PREFIX', 'WORKER_CONCURRENCY']);
});

test('worker and scheduler processes need Redis and Postgres, and say so', (t) => {
  t.throws(() => requireSharedStores({ redisUrl: undefined, databaseUrl: 'postgres://x/y' }, 'worker'), { message: /"synqx worker" needs REDIS_URL.*synqx start/ });
  t.throws(() => requireSharedStores({ redisUrl: 'redis://r', databaseUrl: undefined }, 'scheduler'), { message: /"synqx scheduler" needs DATABASE_URL/ });
  t.notThrows(() => requireSharedStores({ redisUrl: 'redis://r', databaseUrl: 'postgres://x/y' }, 'worker'));
});

test('backoff doubles from the base, like BullMQ exponential backoff', (t) => {
  t.deepEqual([1, 2, 3, 4].map((n) => backoffMs(500, n)), [500, 1000, 2000, 4000]);
});

test('queue job ids round-trip and refuse foreign ids', (t) => {
  t.is(jobIdOfQueueJob(queueJobIdOf(42)), 42);
  t.is(jobIdOfQueueJob('repeat:pipeline-1:123'), undefined);
  t.is(jobIdOfQueueJob(undefined), undefined);
});

test('the bounded queue refuses beyond its capacity instead of growing', (t) => {
  const q = new BoundedQueue<number>(2);
  q.push(1);
  q.push(2);
  const err = t.throws(() => q.push(3));
  t.is((err as any).code, 'UNAVAILABLE');
  t.is(q.remove((n) => n === 1), 1);
  q.push(3);
  t.deepEqual([q.shift(), q.shift(), q.shift()], [2, 3, undefined]);
});
