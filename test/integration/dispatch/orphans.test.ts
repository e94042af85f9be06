import test from 'ava';
import { createLogger } from '../../../src/platform/logger.js';
import type { BullProducer } from '../../../src/scheduler/bullmq-producer.js';
import { reconcileOrphans } from '../../../src/scheduler/stall-recovery.js';
import { admit } from '../../../src/services/job-admission.js';
import { moveJob } from '../../../src/services/job-lifecycle.js';
import { JobRecovery } from '../../../src/services/job-recovery.js';
import { startDispatchApp, type DispatchApp } from '../../helpers/dispatch-app.js';
import { seedPipeline } from '../../helpers/dispatch-fixtures.js';

// What no queue event reports: a process that died between admitting a job and queuing it, and a
// running job whose queue entry is gone (Redis data lost). The scheduler's orphan check fixes both.

let app: DispatchApp;
test.before(async () => {
  app = await startDispatchApp({ mode: 'bullmq', worker: false });
});
test.after.always(async () => {
  await app?.close();
});

test('the orphan check queues jobs that never reached the queue and fails running jobs the queue lost', async (t) => {
  const db = app.store.db;
  const producer = app.dispatch.producer as BullProducer;
  const recovery = new JobRecovery({ db, logger: createLogger({ level: 'silent', json: true }) });
  const ctx = { recovery, queue: producer.queue, maxStalledCount: 1 };
  const a = await seedPipeline(db);
  const b = await seedPipeline(db);
  const c = await seedPipeline(db);
  const pending = (await db.transaction((tx) => admit(tx, { pipelineId: a.pipelineId, triggerType: 'api', payload: {} }))).job;
  const lost = (await db.transaction((tx) => admit(tx, { pipelineId: b.pipelineId, triggerType: 'api', payload: {} }))).job;
  await moveJob(db, lost.id, ['pending'], 'running', { message: 'running on a worker whose queue entry vanished', fields: { worker_id: 'gone' } });
  const fresh = (await app.services.runs.trigger(c.pipelineId, { triggerType: 'api' })).job;
  t.is(await reconcileOrphans(ctx, producer, 10_000), 0, 'young rows are left alone');
  await db.query(`UPDATE jobs SET updated_at = now() - interval '1 minute' WHERE id = ANY($1::bigint[])`, [[pending.id, lost.id, fresh.id]]);
  t.is(await reconcileOrphans(ctx, producer, 10_000), 2, 'a queued job with a live queue entry is fine');
  const job = async (id: number) => (await app.api('GET', `/api/v1/jobs/${id}`)).body;
  t.is((await job(pending.id)).status, 'queued');
  // Every entry carries its pipeline's priority, so BullMQ keeps a waiting one in its 'prioritized' set.
  t.is(await producer.queue.getJobState(`run-${pending.id}`), 'prioritized');
  const failed = await job(lost.id);
  t.is(failed.status, 'failed');
  t.is(failed.error_code, 'UNAVAILABLE');
  t.is((await job(fresh.id)).status, 'queued');
});
