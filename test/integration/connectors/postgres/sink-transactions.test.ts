import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import test from 'ava';
import pg from 'pg';
import type { ExecutionContext } from 'ava';
import { isSynqxError } from '../../../../src/core/errors.js';
import type { ErrorCode, SynqxError } from '../../../../src/core/errors.js';
import { PostgresSink } from '../../../../src/connectors/postgres/sink.js';
import type { CommittedChunk, PostgresSinkOptions } from '../../../../src/connectors/postgres/sink.js';
import { PostgresSource } from '../../../../src/connectors/postgres/source.js';
import type { PostgresSourceOptions } from '../../../../src/connectors/postgres/source.js';
import type { WriteMode } from '../../../../src/connectors/postgres/write-modes.js';
import { TEST_PG_URL, createTestDatabase, withClient } from '../../../helpers/pg.js';
import type { TestDatabase } from '../../../helpers/pg.js';

const MODES: WriteMode[] = ['append', 'truncate', 'replace', 'upsert'];
const role = `synqx_reader_${randomBytes(4).toString('hex')}`;
let src: TestDatabase;
let dst: TestDatabase;

test.before(async () => {
  src = await createTestDatabase('synqx_tx_src');
  dst = await createTestDatabase('synqx_tx_dst');
  await withClient(TEST_PG_URL, (c) => c.query(`CREATE ROLE "${role}"`));
  // 300 rows; ids 51..350 so they overlap the destination's 1..100 for upserts. Row 300 breaks NOT NULL.
  await withClient(src.url, (c) =>
    c.query(`CREATE TABLE good (id int PRIMARY KEY, v text, n int);
             INSERT INTO good SELECT i, 'new ' || i, i * 10 FROM generate_series(51, 350) i;
             CREATE TABLE bad (LIKE good INCLUDING ALL);
             INSERT INTO bad SELECT * FROM good;
             UPDATE bad SET v = NULL WHERE id = 300;
             CREATE TABLE dup (id int, v text, n int);
             INSERT INTO dup VALUES (1, 'a', 1), (1, 'b', 2);`),
  );
});

test.after.always(async () => {
  await src?.drop();
  await dst?.drop();
  await withClient(TEST_PG_URL, (c) => c.query(`DROP ROLE IF EXISTS "${role}"`)).catch(() => {});
});

/** A fresh, populated destination with an index, a grant and a dependent view. */
async function prepareTarget(name: string): Promise<void> {
  await withClient(dst.url, (c) =>
    c.query(`DROP TABLE IF EXISTS ${name} CASCADE;
             CREATE TABLE ${name} (id int PRIMARY KEY, v text NOT NULL, n int, note text DEFAULT 'kept');
             CREATE INDEX ${name}_v_idx ON ${name} (v);
             GRANT SELECT ON ${name} TO "${role}";
             CREATE VIEW ${name}_view AS SELECT id, v FROM ${name} WHERE n > 0;
             INSERT INTO ${name} (id, v, n) SELECT i, 'old ' || i, i FROM generate_series(1, 100) i;`),
  );
}

interface Snapshot {
  rows: string[];
  indexes: string[];
  acl: string;
  viewRows: number;
}

async function snapshot(name: string): Promise<Snapshot> {
  return withClient(dst.url, async (c) => {
    const rows = (await c.query<{ t: string }>(`SELECT t::text AS t FROM ${name} t ORDER BY id`)).rows.map((r) => r.t);
    const indexes = (await c.query<{ d: string }>(`SELECT indexdef AS d FROM pg_indexes WHERE tablename = $1 ORDER BY indexname`, [name])).rows.map(
      (r) => r.d,
    );
    const acl = (await c.query<{ a: string }>(`SELECT relacl::text AS a FROM pg_class WHERE oid = to_regclass($1)`, [name])).rows[0]!.a;
    const viewRows = Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${name}_view`)).rows[0]!.n);
    return { rows, indexes, acl, viewRows };
  });
}

interface LoadOptions {
  source: PostgresSourceOptions;
  sink: PostgresSinkOptions;
  /** Call sink.abort() after this many batches. */
  abortAfter?: number;
  /** Abort through the AbortSignal instead of calling abort(). */
  viaSignal?: boolean;
  onChunk?: (c: CommittedChunk) => void;
  afterBatches?: (n: number) => Promise<void>;
}

async function load(o: LoadOptions): Promise<{ rows: number; chunks?: number }> {
  const controller = new AbortController();
  const source = new PostgresSource({ connectionString: src.url }, { batch_rows: 100, ...o.source });
  const sink = new PostgresSink({ connectionString: dst.url }, o.sink, { onChunkCommitted: o.onChunk });
  try {
    const schema = await source.open(controller.signal);
    await sink.open(schema, controller.signal);
    let n = 0;
    for await (const batch of source.batches()) {
      await sink.write(batch);
      n++;
      await o.afterBatches?.(n);
      if (n === o.abortAfter) {
        if (o.viaSignal) controller.abort(new Error('operator pressed stop'));
        else await sink.abort(new Error('stop'));
        await sink.write(batch); // must refuse
      }
    }
    const r = await sink.commit();
    return { rows: r.rowsWritten, chunks: r.chunksCommitted };
  } catch (err) {
    await sink.abort(err);
    await sink.abort(err); // twice is fine
    throw err;
  } finally {
    await source.close();
  }
}

async function expectError(t: ExecutionContext, p: Promise<unknown>, code: ErrorCode): Promise<SynqxError> {
  const err = await t.throwsAsync(p);
  t.true(isSynqxError(err), String(err));
  t.is((err as SynqxError).code, code, (err as Error).message);
  return err as SynqxError;
}

for (const mode of MODES) {
  test.serial(`${mode}: a NOT NULL violation in the 3rd batch leaves the destination unchanged`, async (t) => {
    const name = `t_err_${mode}`;
    await prepareTarget(name);
    const before = await snapshot(name);
    const err = await expectError(t, load({ source: { table: 'bad', order_by: ['id'] }, sink: { table: name, write_mode: mode } }), 'DATA_ERROR');
    t.false(err.retryable);
    t.is((err.details as { sqlstate: string }).sqlstate, '23502');
    t.deepEqual(await snapshot(name), before);
  });

  test.serial(`${mode}: abort() after 2 batches leaves the destination unchanged`, async (t) => {
    const name = `t_abort_${mode}`;
    await prepareTarget(name);
    const before = await snapshot(name);
    await expectError(t, load({ source: { table: 'good' }, sink: { table: name, write_mode: mode }, abortAfter: 2 }), 'CANCELLED');
    t.deepEqual(await snapshot(name), before);
  });
}

test.serial('aborting through the AbortSignal mid-run rolls back too', async (t) => {
  const name = 't_signal';
  await prepareTarget(name);
  const before = await snapshot(name);
  const err = await expectError(
    t,
    load({ source: { table: 'good' }, sink: { table: name, write_mode: 'replace' }, abortAfter: 1, viaSignal: true }),
    'CANCELLED',
  );
  t.regex(err.message, /operator pressed stop/);
  t.deepEqual(await snapshot(name), before);
});

test.serial('replace swaps the rows atomically and keeps indexes, grants, defaults and dependent views', async (t) => {
  const name = 't_replace';
  await prepareTarget(name);
  const before = await snapshot(name);
  let seenDuringLoad = -1;
  const r = await load({
    source: { table: 'good' },
    sink: { table: name, write_mode: 'replace' },
    // Readers are not blocked while the staging table fills, and still see the old rows.
    afterBatches: async (n) => {
      if (n === 2) seenDuringLoad = await withClient(dst.url, async (c) => Number((await c.query(`SELECT count(*) AS n FROM ${name}`)).rows[0].n));
    },
  });
  t.is(r.rows, 300);
  t.is(seenDuringLoad, 100);
  const after = await snapshot(name);
  t.deepEqual(after.indexes, before.indexes);
  t.is(after.acl, before.acl);
  t.is(after.rows.length, 300);
  t.is(after.rows[0], '(51,"new 51",510,kept)');
  t.is(after.viewRows, 300);
});

test.serial('upsert updates existing keys, inserts new ones and leaves other rows alone', async (t) => {
  const name = 't_upsert';
  await prepareTarget(name);
  await load({ source: { table: 'good' }, sink: { table: name, write_mode: 'upsert' } });
  const { rows } = await snapshot(name);
  t.is(rows.length, 350);
  t.is(rows[0], '(1,"old 1",1,kept)');
  t.is(rows[50], '(51,"new 51",510,kept)', 'existing key updated');
  t.is(rows[349], '(350,"new 350",3500,kept)', 'new key inserted');
  await expectError(t, load({ source: { table: 'dup' }, sink: { table: name, write_mode: 'upsert' } }), 'DATA_ERROR');
});

test.serial('truncate replaces all rows; append adds them', async (t) => {
  await prepareTarget('t_truncate');
  await load({ source: { table: 'good' }, sink: { table: 't_truncate', write_mode: 'truncate' } });
  t.is((await snapshot('t_truncate')).rows.length, 300);
  await prepareTarget('t_append');
  await load({ source: { table: 'good', where: 'id > 100' }, sink: { table: 't_append', write_mode: 'append' } });
  t.is((await snapshot('t_append')).rows.length, 350);
});

test.serial('chunked commits keep the chunks committed before a failure, record them, and a resumed run completes', async (t) => {
  await withClient(dst.url, (c) => c.query(`CREATE TABLE t_chunked (id int PRIMARY KEY, v text NOT NULL, n int)`));
  const chunks: CommittedChunk[] = [];
  const sink = { table: 't_chunked', write_mode: 'append' as const, commit_every_rows: 100 };
  await expectError(t, load({ source: { table: 'bad', order_by: ['id'] }, sink, onChunk: (c) => chunks.push(c) }), 'DATA_ERROR');
  t.deepEqual(
    chunks.map((c) => c.rowsCommitted),
    [100, 200],
  );
  const count = async () => withClient(dst.url, async (c) => Number((await c.query(`SELECT count(*) AS n FROM t_chunked`)).rows[0].n));
  t.is(await count(), 200, 'the two committed chunks stay; the failing third is rolled back');
  const resumed: CommittedChunk[] = [];
  const r = await load({
    source: { table: 'good', order_by: ['id'] },
    sink: { ...sink, resume_after_rows: chunks.at(-1)!.rowsCommitted },
    onChunk: (c) => resumed.push(c),
  });
  t.is(r.rows, 100);
  t.is(r.chunks, 1);
  t.deepEqual(resumed, [{ chunk: 1, rowsCommitted: 300, rowsInChunk: 100 }]);
  const [a, b] = await Promise.all([
    withClient(src.url, async (c) => (await c.query(`SELECT t::text AS t FROM good t ORDER BY id`)).rows),
    withClient(dst.url, async (c) => (await c.query(`SELECT t::text AS t FROM t_chunked t ORDER BY id`)).rows),
  ]);
  t.deepEqual(b, a);
});

test.serial('configuration and connection problems are classified; messages hold no password', async (t) => {
  t.throws(() => new PostgresSink({ connectionString: dst.url }, { table: 'x', write_mode: 'replace', commit_every_rows: 10 }), {
    message: /replace/,
  });
  await expectError(
    t,
    load({ source: { table: 'good' }, sink: { table: 'missing_table', write_mode: 'append', create_if_missing: false } }),
    'DESTINATION_ERROR',
  );
  await withClient(dst.url, (c) => c.query(`CREATE TABLE no_pk (id int, v text, n int)`));
  await expectError(t, load({ source: { table: 'good' }, sink: { table: 'no_pk', write_mode: 'upsert' } }), 'CONFIG_INVALID');
  const sink = new PostgresSink({ host: '127.0.0.1', port: 1, user: 'root', password: 'sekret-pw-123', database: 'x' }, { table: 't' });
  const source = new PostgresSource({ connectionString: src.url }, { table: 'good' });
  try {
    const schema = await source.open(new AbortController().signal);
    const err = await expectError(t, sink.open(schema, new AbortController().signal), 'DESTINATION_ERROR');
    t.true(err.retryable, 'connection refused is worth retrying');
    t.is(err.domain, 'external');
    t.false(JSON.stringify({ m: err.message, d: err.details }).includes('sekret-pw-123'));
    await sink.abort(err);
  } finally {
    await source.close();
  }
});

test.serial('no destination or source sessions are left behind', async (t) => {
  const open = async () =>
    withClient(TEST_PG_URL, async (c) =>
      Number(
        (await c.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = ANY($1) AND pid <> pg_backend_pid()`, [[src.name, dst.name]])).rows[0]
          .n,
      ),
    );
  let n = await open();
  for (let i = 0; i < 40 && n > 0; i++) {
    await new Promise((r) => setTimeout(r, 50));
    n = await open();
  }
  t.is(n, 0);
});

test.serial('slow destination: write() waits for the server, so little more than a chunk is ever in flight', async (t) => {
  await withClient(src.url, (c) =>
    c.query(`CREATE TABLE wide AS SELECT i AS id, repeat(md5(i::text), 30) AS body FROM generate_series(1, 150000) i`),
  );
  // Every 2500th row makes the server pause: COPY runs row triggers.
  await withClient(dst.url, (c) =>
    c.query(`CREATE TABLE slow (id int PRIMARY KEY, body text);
             CREATE FUNCTION slow_down() RETURNS trigger LANGUAGE plpgsql AS
               $$ BEGIN IF NEW.id % 2500 = 0 THEN PERFORM pg_sleep(0.03); END IF; RETURN NEW; END $$;
             CREATE TRIGGER slow BEFORE INSERT ON slow FOR EACH ROW EXECUTE FUNCTION slow_down();`),
  );
  const monitor = new pg.Client({ connectionString: dst.url });
  await monitor.connect();
  const source = new PostgresSource({ connectionString: src.url }, { table: 'wide', batch_rows: 2000, keep_raw_copy: false });
  const sink = new PostgresSink({ connectionString: dst.url }, { table: 'slow' });
  const signal = new AbortController().signal;
  let maxAhead = 0;
  let sent = 0;
  try {
    const schema = await source.open(signal);
    await sink.open(schema, signal);
    for await (const batch of source.batches()) {
      await sink.write(batch);
      // What the load handed to its socket, not what the source read: the source's read-ahead (a batch
      // being decoded) is not in flight to the server.
      sent = sink.bytesSentSoFar();
      const r = await monitor.query<{ b: string }>(`SELECT bytes_processed AS b FROM pg_stat_progress_copy WHERE relid = 'slow'::regclass`);
      if (r.rows[0]) maxAhead = Math.max(maxAhead, sent - Number(r.rows[0].b));
    }
    await sink.commit();
  } finally {
    await source.close();
    await monitor.end();
  }
  // One 1 MiB chunk in flight plus what the kernel's socket buffers may hold on loopback, read from
  // this machine's settings rather than guessed: a CI run measured 13.1 MB against a fixed 12 MB.
  const bound = 1024 * 1024 + loopbackBufferBytes();
  t.log(`${(sent / 1e6).toFixed(0)} MB sent; at most ${(maxAhead / 1e6).toFixed(1)} MB ahead of the server`);
  t.true(sent > 4 * bound, 'much more data than the bound');
  t.true(maxAhead > 0);
  t.true(maxAhead < bound, `${maxAhead} bytes ahead of the server`);
});

/** Send buffer plus receive window at their autotuning maxima (the window is rmem less the share tcp_adv_win_scale keeps). */
function loopbackBufferBytes(): number {
  const max = (f: string, fallback: number) => {
    try {
      return Number(readFileSync(`/proc/sys/net/ipv4/${f}`, 'utf8').trim().split(/\s+/).pop());
    } catch {
      return fallback;
    }
  };
  const scale = max('tcp_adv_win_scale', 1);
  const rmem = max('tcp_rmem', 6 * 1024 * 1024);
  const window = scale > 0 ? rmem - rmem / 2 ** scale : rmem / 2 ** -scale;
  return max('tcp_wmem', 4 * 1024 * 1024) + window;
}
