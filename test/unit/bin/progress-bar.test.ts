import { Writable } from 'node:stream';
import test from 'ava';
import { duration, ProgressBar } from '../../../src/bin/progress-bar.js';
import { zeroCounters } from '../../../src/engine/runtime/run-reporter.js';

function sink(): { out: Writable; text: () => string } {
  let text = '';
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return { out, text: () => text };
}

const steps = [
  { stepId: 'src', kind: 'source' as const, label: 'public.users', order: 0 },
  { stepId: 'dst', kind: 'sink' as const, label: 'public.copy', order: 1 },
];

test('rows, rows/s and ETA from the estimate; plain lines at most every interval when not a TTY', (t) => {
  let now = 0;
  const s = sink();
  const bar = new ProgressBar({ out: s.out, tty: false, estimatedRows: () => 1000, plainIntervalMs: 5000, now: () => now });
  bar.runStarted({ at: new Date(0), steps });
  now = 2000;
  bar.stepProgress({ stepId: 'src', at: new Date(now), counters: { ...zeroCounters(), records_out: 400 } });
  t.is(s.text(), '', 'no line before the interval');
  now = 5000;
  bar.stepProgress({ stepId: 'src', at: new Date(now), counters: { ...zeroCounters(), records_out: 500 } });
  bar.stepProgress({ stepId: 'dst', at: new Date(now), counters: { ...zeroCounters(), records_in: 500 } });
  t.is(s.text(), '[##########..........]  50%  500 / ~1,000 rows  100 rows/s  ETA 5 s  elapsed 5 s\n');
  bar.runFinished();
  t.is(s.text().split('\n').length, 2, 'nothing to clear without a TTY');
});

test('on a TTY the line is redrawn in place and cleared before log lines', (t) => {
  let now = 0;
  const s = sink();
  const bar = new ProgressBar({ out: s.out, tty: true, now: () => now, scrub: (x) => x.replace('pw', '***') });
  bar.runStarted({ at: new Date(0), steps });
  now = 1000;
  bar.stepProgress({ stepId: 'src', at: new Date(now), counters: { ...zeroCounters(), records_out: 10 } });
  bar.log({ level: 'warning', message: 'careful pw', at: new Date(now) });
  bar.log({ level: 'info', message: 'not shown', at: new Date(now) });
  t.is(s.text(), '\r10 rows  10 rows/s  elapsed 1 s\x1b[K\r\x1b[Kwarning: careful ***\n');
});

test('durations', (t) => {
  t.deepEqual([duration(4.4), duration(185), duration(3720)], ['4 s', '3 min 05 s', '1 h 02 min']);
});
