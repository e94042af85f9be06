import test from 'ava';
import { checkCron, checkTimeZone, nextFireTime, nextFireTimes } from '../../../src/core/cron.js';
import { SynqxError } from '../../../src/core/errors.js';

test('5-field and 6-field expressions are accepted, with their field count', (t) => {
  t.deepEqual(checkCron('0 0 * * *'), { ok: true, fieldCount: 5 });
  t.deepEqual(checkCron('*/15 9-17 * * MON-FRI'), { ok: true, fieldCount: 5 });
  t.deepEqual(checkCron('30 */5 * * * *'), { ok: true, fieldCount: 6 });
  t.true(checkCron('@daily').ok);
});

test('bad expressions are rejected with a reason', (t) => {
  for (const [expr, reason] of [
    ['', /empty/],
    ['* * * *', /5 or 6 fields, got 4/],
    ['0 0 0 * * * *', /5 or 6 fields, got 7/],
    ['60 * * * *', /invalid cron expression/],
    ['a b c d e', /invalid cron expression/],
    ['0 0 31 2 *', /invalid cron expression/],
    ['H * * * *', /hashed/],
    ['@reboot', /unknown cron alias/],
    ['0 '.repeat(60), /longer than/],
  ] as const) {
    const r = checkCron(expr);
    t.false(r.ok, expr);
    if (!r.ok) t.regex(r.message, reason, expr);
  }
});

test('time zones: IANA names are accepted, unknown ones rejected', (t) => {
  t.deepEqual(checkTimeZone('UTC'), { ok: true, zone: 'UTC' });
  t.deepEqual(checkTimeZone('Europe/Berlin'), { ok: true, zone: 'Europe/Berlin' });
  for (const bad of ['Mars/Olympus_Mons', '', '+01:00', 'Europe/Berlinn']) {
    const r = checkTimeZone(bad);
    t.false(r.ok, bad);
    if (!r.ok) t.regex(r.message, /time zone/);
  }
});

test('next fire times in UTC', (t) => {
  const times = nextFireTimes('0 0 * * *', 'UTC', new Date('2024-01-01T10:00:00Z'), 2);
  t.deepEqual(times.map((d) => d.toISOString()), ['2024-01-02T00:00:00.000Z', '2024-01-03T00:00:00.000Z']);
  t.is(nextFireTime('*/10 * * * * *', 'UTC', new Date('2024-01-01T10:00:01Z'))!.toISOString(), '2024-01-01T10:00:10.000Z');
});

test('next slot in a non-UTC zone keeps local wall time across the spring DST change (New York)', (t) => {
  // 2024-03-10: clocks go from EST (UTC-5) to EDT (UTC-4).
  const times = nextFireTimes('0 9 * * *', 'America/New_York', new Date('2024-03-09T12:00:00Z'), 3);
  t.deepEqual(times.map((d) => d.toISOString()), [
    '2024-03-09T14:00:00.000Z', // 09:00 EST
    '2024-03-10T13:00:00.000Z', // 09:00 EDT
    '2024-03-11T13:00:00.000Z',
  ]);
});

test('next slot across the autumn DST change in Berlin', (t) => {
  // 2024-10-27: CEST (UTC+2) -> CET (UTC+1).
  const times = nextFireTimes('30 6 * * *', 'Europe/Berlin', new Date('2024-10-26T00:00:00Z'), 2);
  t.deepEqual(times.map((d) => d.toISOString()), ['2024-10-26T04:30:00.000Z', '2024-10-27T05:30:00.000Z']);
});

test('a slot inside the skipped spring hour still fires once that day', (t) => {
  // 02:30 does not exist in Berlin on 2024-03-31; the run happens after the gap, not a day late.
  const next = nextFireTime('30 2 * * *', 'Europe/Berlin', new Date('2024-03-30T12:00:00Z'))!;
  t.true(next.getTime() > new Date('2024-03-31T00:00:00Z').getTime());
  t.true(next.getTime() < new Date('2024-04-01T00:00:00Z').getTime());
});

test('nextFireTimes refuses a bad expression or zone with CONFIG_INVALID', (t) => {
  const e1 = t.throws(() => nextFireTimes('nope', 'UTC', new Date()));
  t.true(e1 instanceof SynqxError && e1.code === 'CONFIG_INVALID');
  const e2 = t.throws(() => nextFireTimes('0 0 * * *', 'Nowhere/Land', new Date()));
  t.true(e2 instanceof SynqxError && e2.code === 'CONFIG_INVALID');
});
