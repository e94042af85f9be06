import test from 'ava';
import pg from 'pg';
import pgCopy from 'pg-copy-streams';
import { copyOut } from '../../../../src/connectors/postgres/copy-out-stream.js';
import { TEST_PG_URL } from '../../../helpers/pg.js';

// CopyOutStream replaces pg-copy-streams' copy-to on the hot path; these tests hold it to the same
// bytes and the same connection behaviour (errors, notices, the client usable afterwards).

async function withPg<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: TEST_PG_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function collect(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk);
  return Buffer.concat(parts);
}

const BIG = `COPY (SELECT g, repeat(md5(g::text), 1 + g % 7), g * 1.5 FROM generate_series(1, 60000) g) TO STDOUT (FORMAT binary)`;

test('the payload is byte for byte what pg-copy-streams delivers, and the client stays usable', async (t) => {
  await withPg(async (c) => {
    const expected = await collect(c.query(pgCopy.to(BIG)) as unknown as AsyncIterable<Buffer>);
    const stream = c.query(copyOut(BIG));
    const actual = await collect(stream);
    t.true(actual.length > 4_000_000);
    t.true(actual.equals(expected));
    t.is(stream.rowCount, 60000);
    const after = await c.query('SELECT 41 + 1 AS n');
    t.is(after.rows[0].n, 42);
  });
});

test('a text COPY with notices raised between rows keeps only the rows', async (t) => {
  await withPg(async (c) => {
    await c.query(`CREATE OR REPLACE FUNCTION pg_temp.noisy(i int) RETURNS int LANGUAGE plpgsql AS $$
      BEGIN IF i % 100 = 0 THEN RAISE NOTICE 'row %', i; END IF; RETURN i; END $$`);
    const out = await collect(c.query(copyOut('COPY (SELECT pg_temp.noisy(g) FROM generate_series(1, 1000) g) TO STDOUT')));
    const lines = out.toString('utf8').trim().split('\n');
    t.is(lines.length, 1000);
    t.deepEqual(lines.slice(0, 3), ['1', '2', '3']);
    t.is(lines[999], '1000');
    // Notices inside copy-out mode are skipped, as pg-copy-streams does; the client is still in sync.
    t.is((await c.query('SELECT 3 AS n')).rows[0].n, 3);
  });
});

test('an error in the middle of the COPY rejects the stream with the server message; the client recovers', async (t) => {
  await withPg(async (c) => {
    const stream = c.query(copyOut('COPY (SELECT 1000 / (g - 5000) FROM generate_series(1, 10000) g) TO STDOUT'));
    const err = await t.throwsAsync(() => collect(stream));
    t.regex(err!.message, /division by zero/);
    const after = await c.query('SELECT 1 AS ok');
    t.is(after.rows[0].ok, 1);
  });
});

test('an error before any row (bad SQL) is reported the same way', async (t) => {
  await withPg(async (c) => {
    const err = await t.throwsAsync(() => collect(c.query(copyOut('COPY (SELECT * FROM no_such_table_xyz) TO STDOUT'))));
    t.regex(err!.message, /no_such_table_xyz/);
    t.is((await c.query('SELECT 2 AS n')).rows[0].n, 2);
  });
});
