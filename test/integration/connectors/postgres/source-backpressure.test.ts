import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import test from 'ava';
import { isSynqxError } from '../../../../src/core/errors.js';
import type { SynqxError } from '../../../../src/core/errors.js';
import { PostgresSource } from '../../../../src/connectors/postgres/source.js';
import { TEST_PG_URL, createTestDatabase, withClient } from '../../../helpers/pg.js';
import type { TestDatabase } from '../../../helpers/pg.js';

// A real GC between samples, so we measure live memory rather than garbage not yet collected.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const ROWS = 300_000;
let db: TestDatabase;

test.before(async () => {
  db = await createTestDatabase('synqx_bp');
  // ~600 bytes a row on the wire, ~180 MB in all: far more than the bound asserted below.
  await withClient(db.url, (c) =>
    c.query(`CREATE TABLE wide AS
               SELECT i AS id, repeat(md5(i::text), 8) AS a, repeat('x', 200) || i AS b,
                      (i * 1.25)::numeric(14,2) AS amount, now() + i * interval '1 second' AS at,
                      ARRAY[i, i + 1, i + 2] AS arr, md5(i::text)::uuid AS u
                 FROM generate_series(1, ${ROWS}) i`),
  );
});

test.after.always(async () => {
  await db?.drop();
});

/** Live heap + ArrayBuffer bytes. V8 frees ArrayBuffer memory on a background sweeper after a GC, so collect twice. */
async function liveBytes(): Promise<number> {
  gc();
  await sleep(5);
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

async function copyActive(): Promise<number> {
  return withClient(TEST_PG_URL, async (c) =>
    Number(
      (
        await c.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'COPY%' AND pid <> pg_backend_pid()`, [
          db.name,
        ])
      ).rows[0].n,
    ),
  );
}

async function waitFor(fn: () => Promise<boolean>): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (await fn()) return true;
    await sleep(50);
  }
  return false;
}

test.serial('slow consumer: memory stays bounded by the batch size, not the table size', async (t) => {
  const batchBytes = 1024 * 1024;
  const source = new PostgresSource({ connectionString: db.url }, { table: 'wide', batch_rows: 100_000, batch_bytes: batchBytes });
  try {
    await source.open(new AbortController().signal);
    t.true(source.estimatedRows()! > 0, 'the planner estimate is known');
    const baseline = await liveBytes();
    // The batch being handed over and the next one being built (each up to 2× its size while its
    // buffers grow), plus socket/stream buffers and JIT warm-up: never more than a few batches.
    const bound = 4 * batchBytes + 4 * 1024 * 1024;
    let peak = 0;
    let rows = 0;
    let batches = 0;
    for await (const batch of source.batches()) {
      rows += batch.numRows;
      batches++;
      if (batches % 4 === 0) {
        await sleep(25); // a slow load: the socket must stay paused meanwhile
        const live = (await liveBytes()) - baseline;
        peak = Math.max(peak, live);
      }
    }
    t.is(rows, ROWS);
    t.true(batches > 100, `${batches} batches`);
    t.true(source.bytesRead() > 20 * bound, `the table (${source.bytesRead()} bytes) is far larger than the bound`);
    t.log(`peak live growth ${(peak / 1e6).toFixed(1)} MB over ${batches} batches`);
    t.true(peak < bound, `peak growth ${(peak / 1e6).toFixed(1)} MB must stay under ${(bound / 1e6).toFixed(1)} MB`);
  } finally {
    await source.close();
  }
});

test.serial('abort mid-stream ends the iteration with CANCELLED and stops the server-side COPY', async (t) => {
  const controller = new AbortController();
  const source = new PostgresSource({ connectionString: db.url }, { table: 'wide', batch_rows: 1000 });
  try {
    await source.open(controller.signal);
    let batches = 0;
    const err = await t.throwsAsync(async () => {
      for await (const _ of source.batches()) {
        if (++batches === 3) {
          t.is(await copyActive(), 1, 'the COPY is running (paused) while we hold batches back');
          setTimeout(() => controller.abort(new Error('user cancelled')), 10);
          await sleep(30);
        }
      }
    });
    t.true(isSynqxError(err));
    t.is((err as SynqxError).code, 'CANCELLED');
    t.regex(err!.message, /user cancelled/);
    t.is(batches, 3, 'no batch after the abort');
  } finally {
    await source.close();
  }
  t.true(await waitFor(async () => (await copyActive()) === 0), 'the server-side COPY is gone');
});

test.serial('a consumer that stops early and closes leaves no COPY behind', async (t) => {
  const source = new PostgresSource({ connectionString: db.url }, { table: 'wide', batch_rows: 1000 });
  await source.open(new AbortController().signal);
  for await (const batch of source.batches()) {
    t.is(batch.numRows, 1000);
    break;
  }
  await source.close();
  t.true(await waitFor(async () => (await copyActive()) === 0));
});

test.serial('an aborted signal before open, and errors while reading, are classified', async (t) => {
  const aborted = AbortSignal.abort(new Error('too late'));
  const early = new PostgresSource({ connectionString: db.url }, { table: 'wide' });
  const e1 = await t.throwsAsync(early.open(aborted));
  t.is((e1 as SynqxError).code, 'CANCELLED');
  await early.close();

  const read = async (where: string) => {
    const s = new PostgresSource({ connectionString: db.url }, { table: 'wide', columns: ['id'], where, batch_rows: 10_000 });
    try {
      await s.open(new AbortController().signal);
      let rows = 0;
      for await (const b of s.batches()) rows += b.numRows;
      return rows;
    } finally {
      await s.close();
    }
  };
  t.is(await read('id % 1000 = 0'), ROWS / 1000);
  const e2 = (await t.throwsAsync(read('no_such_column > 0'))) as SynqxError;
  t.is(e2.code, 'SOURCE_ERROR');
  t.false(e2.retryable);
  const e3 = (await t.throwsAsync(read('1 / (id - 150000) > -2'))) as SynqxError;
  t.is(e3.code, 'DATA_ERROR', 'division by zero mid-stream is a data error');
  const missing = new PostgresSource({ connectionString: db.url }, { table: 'public.nope' });
  const e4 = (await t.throwsAsync(missing.open(new AbortController().signal))) as SynqxError;
  t.is(e4.code, 'SOURCE_ERROR');
  t.is(e4.domain, 'user');
  await missing.close();
  const cols = new PostgresSource({ connectionString: db.url }, { table: 'wide', columns: ['id', 'nope'] });
  t.is(((await t.throwsAsync(cols.open(new AbortController().signal))) as SynqxError).code, 'CONFIG_INVALID');
  await cols.close();
});
