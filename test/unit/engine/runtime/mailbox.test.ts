import test from 'ava';
import { Mailbox } from '../../../../src/engine/runtime/mailbox.js';
import { SynqxError } from '../../../../src/core/errors.js';

const tick = () => new Promise((r) => setImmediate(r));

/** Resolves to 'pending' if the promise has not settled after a macrotask. */
async function state(p: Promise<unknown>): Promise<'pending' | 'resolved' | 'rejected'> {
  let s: 'pending' | 'resolved' | 'rejected' = 'pending';
  p.then(
    () => (s = 'resolved'),
    () => (s = 'rejected'),
  );
  await tick();
  return s;
}

test('items come out in order; take after close drains then yields undefined', async (t) => {
  const mb = new Mailbox<number>({ capacity: 3 });
  await mb.put(1);
  await mb.put(2);
  mb.close();
  t.is(await mb.take(), 1);
  t.is(await mb.take(), 2);
  t.is(await mb.take(), undefined);
  t.is(await mb.take(), undefined);
});

test('slow-reader: put waits while the mailbox is full and resumes when a take frees a slot', async (t) => {
  const mb = new Mailbox<number>({ capacity: 2 });
  await mb.put(1);
  await mb.put(2);
  const third = mb.put(3);
  t.is(await state(third), 'pending');
  t.is(mb.size, 2);
  t.is(await mb.take(), 1);
  t.is(await state(third), 'resolved');
  t.is(mb.size, 2);
  t.is(mb.highWater, 2);
});

test('take waits while empty and gets the next put directly', async (t) => {
  const mb = new Mailbox<string>({ capacity: 1 });
  const taken = mb.take();
  t.is(await state(taken), 'pending');
  await mb.put('a');
  t.is(await taken, 'a');
  t.is(mb.size, 0);
});

test('close wakes a waiting taker with undefined', async (t) => {
  const mb = new Mailbox<number>({ capacity: 1 });
  const taken = mb.take();
  mb.close();
  t.is(await taken, undefined);
  await t.throwsAsync(mb.put(1), { message: /closed/ });
});

test('byte bound: a put that would exceed maxBytes waits; one oversized item is still admitted', async (t) => {
  const mb = new Mailbox<number>({ capacity: 10, maxBytes: 100, sizeOf: (n) => n });
  await mb.put(60);
  const second = mb.put(50);
  t.is(await state(second), 'pending');
  t.is(mb.bytes, 60);
  t.is(await mb.take(), 60);
  t.is(await state(second), 'resolved');
  t.is(mb.bytes, 50);
  await mb.take();
  // Larger than the whole bound, but the mailbox is empty: admitted rather than deadlocking.
  await mb.put(500);
  t.is(mb.bytes, 500);
});

test('fail rejects waiting takers and later calls with the error', async (t) => {
  const mb = new Mailbox<number>({ capacity: 1 });
  const taken = mb.take();
  const err = new SynqxError('SOURCE_ERROR', 'upstream broke');
  mb.fail(err);
  await t.throwsAsync(taken, { is: err });
  await t.throwsAsync(mb.take(), { is: err });
  await t.throwsAsync(mb.put(1), { is: err });
});

test('abort wakes every waiter on both sides and drops held items', async (t) => {
  const full = new Mailbox<number>({ capacity: 1 });
  await full.put(1);
  const p1 = full.put(2);
  const p2 = full.put(3);
  const empty = new Mailbox<number>({ capacity: 1 });
  const t1 = empty.take();
  const t2 = empty.take();
  const reason = new SynqxError('CANCELLED', 'run cancelled');
  full.abort(reason);
  empty.abort(reason);
  for (const p of [p1, p2, t1, t2]) await t.throwsAsync(p, { is: reason });
  t.is(full.size, 0);
  await t.throwsAsync(full.take(), { is: reason });
});

test('waiting putters are admitted in FIFO order', async (t) => {
  const mb = new Mailbox<number>({ capacity: 1 });
  await mb.put(0);
  const order: number[] = [];
  const puts = [1, 2, 3].map((n) => mb.put(n).then(() => order.push(n)));
  const got: (number | undefined)[] = [];
  for (let i = 0; i < 4; i++) got.push(await mb.take());
  await Promise.all(puts);
  t.deepEqual(got, [0, 1, 2, 3]);
  t.deepEqual(order, [1, 2, 3]);
});

test('whenReady resolves on an item or on close without consuming anything', async (t) => {
  const mb = new Mailbox<number>({ capacity: 2 });
  const ready = mb.whenReady();
  t.is(await state(ready), 'pending');
  await mb.put(7);
  await ready;
  t.is(mb.size, 1);
  t.is(await mb.take(), 7);
  const again = mb.whenReady();
  mb.close();
  await again;
  t.is(await mb.take(), undefined);
});

test('capacity must be a positive integer', (t) => {
  t.throws(() => new Mailbox({ capacity: 0 }), { message: /positive integer/ });
});
