import test from 'ava';
import { createLogger } from '../../../src/platform/logger.js';
import { createDispatch, type SchedulerHandle } from '../../../src/scheduler/dispatch.js';
import { DispatchServiceFactory } from '../../../src/services/dispatch-service-factory.js';
import { startDispatchApp, testDispatchConfig, type DispatchApp } from '../../helpers/dispatch-app.js';
import { DISPATCH_MODES, seedPipeline, waitFor, type DispatchMode } from '../../helpers/dispatch-fixtures.js';

const silent = createLogger({ level: 'silent', json: true });

/** The next instant after `after` at which it is 09:00:00 in New York, found with Intl only (no cron code). */
function nextNineInNewYork(after: Date): Date {
  const parts = (d: Date) =>
    Object.fromEntries(
      new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' })
        .formatToParts(d)
        .map((p) => [p.type, Number(p.value)]),
    );
  const today = parts(after);
  const candidates: Date[] = [];
  for (let k = 0; k < 3; k++) {
    for (const offset of [4, 5]) {
      const c = new Date(Date.UTC(today.year, today.month - 1, today.day + k, 9 + offset, 0, 0));
      const p = parts(c);
      if (p.hour === 9 && p.minute === 0 && p.second === 0 && c > after) candidates.push(c);
    }
  }
  return candidates.sort((a, b) => a.getTime() - b.getTime())[0]!;
}

for (const mode of DISPATCH_MODES) {
  let app: DispatchApp;
  let first: SchedulerHandle;
  // Schedulers live as long as the app: a BullMQ worker closing mid-test can swallow a queue
  // marker meant for the others, delaying their next firing by up to BullMQ's 10 s block timeout.
  test.before(async () => {
    app = await startDispatchApp({ mode, worker: false });
    first = await app.dispatch.startScheduler({ schedulerId: `${mode}-s1` });
  });
  test.after.always(async () => {
    await app?.close();
  });

  test(`[${mode}] two schedulers, a per-second cron: each slot fires once; disabling through the API stops it`, async (t) => {
    // A second dispatch on the same database and queue prefix stands for a second scheduler process.
    const other = await createDispatch({ serviceFactory: new DispatchServiceFactory(app.store.db), logger: silent, config: testDispatchConfig(mode, app.prefix) });
    t.teardown(() => other.close());
    const outcomes: string[] = [];
    for (const d of [app.dispatch, other]) {
      const fire = d.schedules.fire.bind(d.schedules);
      d.schedules.fire = async (f) => {
        const r = await fire(f);
        outcomes.push(r.outcome);
        return r;
      };
    }
    await other.startScheduler({ schedulerId: `${mode}-s2` });
    const { pipelineId } = await seedPipeline(app.store.db, { maxParallelRuns: 100 });
    const enable = await app.api('PATCH', `/api/v1/pipelines/${pipelineId}`, { schedule_cron: '* * * * * *', schedule_enabled: true, schedule_timezone: 'UTC' });
    t.is(enable.status, 200, enable.text);
    await new Promise((r) => setTimeout(r, 4500));
    const disable = await app.api('PATCH', `/api/v1/pipelines/${pipelineId}`, { schedule_enabled: false });
    t.is(disable.status, 200);
    const firingsAtDisable = (await app.api('GET', `/api/v1/pipelines/${pipelineId}/firings`)).body.firings;
    await new Promise((r) => setTimeout(r, 2000));
    const firings = (await app.api('GET', `/api/v1/pipelines/${pipelineId}/firings`)).body.firings as any[];
    t.is(firings.length, firingsAtDisable.length, 'nothing fires once the schedule is disabled');
    t.true(firings.length >= 3, `only ${firings.length} slots fired in 4.5 s`);
    const slots = firings.map((f) => new Date(f.slot).getTime());
    t.is(new Set(slots).size, slots.length, 'no slot fired twice');
    t.true(slots.every((s) => s % 1000 === 0), 'slots are whole seconds');
    t.true(firings.every((f) => f.outcome === 'enqueued' && f.schedule_cron === '* * * * * *'));
    const jobs = (await app.api('GET', `/api/v1/jobs?pipeline_id=${pipelineId}`)).body.jobs as any[];
    t.is(jobs.length, firings.length, 'one job per slot');
    t.deepEqual(
      jobs.map((j) => j.id).sort((a, b) => a - b),
      firings.map((f) => f.job_id).sort((a, b) => a - b),
    );
    t.true(jobs.every((j) => j.trigger_type === 'schedule' && typeof j.trigger_payload.slot === 'string'));
    if (mode === 'embedded') t.true(outcomes.filter((o) => o === 'duplicate').length >= firings.length - 1, 'both schedulers fired the slots');
  });

  test(`[${mode}] a slot claimed by two schedulers at once makes one job`, async (t) => {
    const { pipelineId } = await seedPipeline(app.store.db, { maxParallelRuns: 10, cron: '0 * * * *', enabled: true });
    const slot = new Date('2030-01-01T10:00:00Z');
    const fire = (schedulerId: string) => app.dispatch.schedules.fire({ pipelineId, slot, cron: '0 * * * *', timezone: 'UTC', schedulerId });
    const results = await Promise.all([fire('a'), fire('b'), fire('c')]);
    t.deepEqual(results.map((r) => r.outcome).sort(), ['duplicate', 'duplicate', 'enqueued']);
    const stale = await app.dispatch.schedules.fire({ pipelineId, slot: new Date('2030-01-01T11:00:00Z'), cron: '30 * * * *', timezone: 'UTC', schedulerId: 'a' });
    t.is(stale.outcome, 'stale', 'a firing for a schedule that changed since is dropped');
  });

  test(`[${mode}] a time-zone schedule fires at its local time; archiving the pipeline removes it`, async (t) => {
    const scheduler = first;
    const { pipelineId } = await seedPipeline(app.store.db);
    const before = new Date();
    const res = await app.api('PATCH', `/api/v1/pipelines/${pipelineId}`, { schedule_cron: '0 9 * * *', schedule_timezone: 'America/New_York', schedule_enabled: true });
    t.is(res.status, 200, res.text);
    const next = await waitFor('the schedule to be armed', () => scheduler.nextSlot(pipelineId), 5000);
    t.is(next.toISOString(), nextNineInNewYork(before).toISOString());
    t.is((await app.api('DELETE', `/api/v1/pipelines/${pipelineId}`)).status, 204);
    await waitFor('the schedule to be removed', async () => (await scheduler.nextSlot(pipelineId)) === undefined, 5000);

  });
}
