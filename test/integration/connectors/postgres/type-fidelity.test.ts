import test from 'ava';
import type pg from 'pg';
import pgCopy from 'pg-copy-streams';
import { FIELD_META_PG_TYPE, FIELD_META_PK_POSITION } from '../../../../src/core/data-ports.js';
import { isSynqxError } from '../../../../src/core/errors.js';
import { CopyDecoder } from '../../../../src/connectors/postgres/copy-decoder.js';
import { CopyEncoder } from '../../../../src/connectors/postgres/copy-encoder.js';
import { PostgresSink } from '../../../../src/connectors/postgres/sink.js';
import type { WriteMode } from '../../../../src/connectors/postgres/write-modes.js';
import { PostgresSource } from '../../../../src/connectors/postgres/source.js';
import type { PostgresSourceOptions } from '../../../../src/connectors/postgres/source.js';
import { createTestDatabase, withClient } from '../../../helpers/pg.js';
import type { TestDatabase } from '../../../helpers/pg.js';
import { TORTURE_SETUP, columnTypes, rowsAsText } from './torture-table.js';

let src: TestDatabase;
let dst: TestDatabase;

test.before(async () => {
  src = await createTestDatabase('synqx_tf_src');
  dst = await createTestDatabase('synqx_tf_dst');
  await withClient(src.url, (c) => c.query(TORTURE_SETUP));
});

test.after.always(async () => {
  await src?.drop();
  await dst?.drop();
});

async function copyTable(options: PostgresSourceOptions, target: string, mode: WriteMode, extra: { upsert_keys?: string[] } = {}) {
  const source = new PostgresSource({ connectionString: src.url }, { batch_rows: 2, ...options });
  const sink = new PostgresSink({ connectionString: dst.url }, { table: target, write_mode: mode, ...extra });
  const signal = new AbortController().signal;
  try {
    const schema = await source.open(signal);
    await sink.open(schema, signal);
    let batches = 0;
    for await (const batch of source.batches()) {
      await sink.write(batch);
      batches++;
    }
    const result = await sink.commit();
    return { schema, batches, result, counts: sink.batchCounts() };
  } catch (err) {
    await sink.abort(err);
    throw err;
  } finally {
    await source.close();
  }
}

/** Every torture column whose type is encoded natively and identical across databases (no enum arrays). */
const NATIVE_COLUMNS = async () =>
  (await withClient(src.url, (c) => columnTypes(c, 'torture'))).map(([name]) => name).filter((n) => n !== 'a_m' && !n.startsWith('x_'));

async function assertSameTable(t: import('ava').ExecutionContext, target: string, columns?: string[]) {
  const select = columns ? `(SELECT ${columns.map((c) => `"${c}"`).join(', ')} FROM torture)` : 'torture';
  const [expectedRows, allTypes] = await withClient(src.url, async (c) => [await rowsAsText(c, select), await columnTypes(c, 'torture')] as const);
  const expectedTypes = columns ? allTypes.filter(([n]) => columns.includes(n)) : allTypes;
  const [actualRows, actualTypes] = await withClient(dst.url, async (c) => [await rowsAsText(c, target), await columnTypes(c, target)] as const);
  t.deepEqual(actualTypes, expectedTypes, 'destination created with identical column types');
  t.is(actualRows.length, expectedRows.length);
  actualRows.forEach((row, i) => t.is(row, expectedRows[i], `row ${i + 1} differs`));
}

for (const mode of ['append', 'truncate', 'replace', 'upsert'] as const) {
  test.serial(`every type survives a copy in ${mode} mode, re-encoded from Arrow (created destination, then a second run)`, async (t) => {
    const target = `public.torture_${mode}`;
    const first = await copyTable({ table: 'public.torture', keep_raw_copy: false }, target, mode);
    t.is(first.result.rowsWritten, 4);
    t.is(first.batches, 2, 'batch_rows: 2 splits the 4 rows in two batches');
    t.deepEqual(first.counts, { passedThrough: 0, encoded: 2 });
    await assertSameTable(t, target);
    const pk = await withClient(dst.url, (c) =>
      c.query<{ attname: string }>(
        `SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
          WHERE i.indrelid = to_regclass($1) AND i.indisprimary`,
        [target],
      ),
    );
    t.deepEqual(
      pk.rows.map((r) => r.attname),
      ['id'],
      'primary key created',
    );
    if (mode !== 'append') {
      // Over an existing, already loaded table: truncate/replace reload, upsert updates every key.
      await withClient(dst.url, (c) => c.query(`UPDATE ${target} SET t = 'changed', n = 1`));
      const second = await copyTable({ table: 'public.torture' }, target, mode);
      t.is(second.result.rowsWritten, 4);
      t.deepEqual(second.counts, { passedThrough: 0, encoded: 2 }, 'enum arrays carry database-specific oids: re-encoded');
      await assertSameTable(t, target);
    }
  });

  test.serial(`native types survive a copy in ${mode} mode as passed-through COPY bytes`, async (t) => {
    const target = `public.torture_raw_${mode}`;
    const columns = await NATIVE_COLUMNS();
    const first = await copyTable({ table: 'public.torture', columns }, target, mode);
    t.deepEqual(first.counts, { passedThrough: 2, encoded: 0 });
    await assertSameTable(t, target, columns);
    if (mode !== 'append') {
      await withClient(dst.url, (c) => c.query(`UPDATE ${target} SET t = 'changed', n = 1`));
      const second = await copyTable({ table: 'public.torture', columns }, target, mode);
      t.deepEqual(second.counts, { passedThrough: 2, encoded: 0 });
      await assertSameTable(t, target, columns);
    }
  });
}

test.serial('field metadata carries exact PG types and the primary key position', async (t) => {
  const source = new PostgresSource({ connectionString: src.url }, { table: 'torture' });
  try {
    const schema = await source.open(new AbortController().signal);
    const meta = (name: string) => schema.fields.find((f) => f.name === name)!.metadata;
    t.is(meta('n12').get(FIELD_META_PG_TYPE), 'numeric(12,2)');
    t.is(meta('a_vc').get(FIELD_META_PG_TYPE), 'character varying(10)[]');
    t.is(meta('m').get(FIELD_META_PG_TYPE), '"public"."mood"');
    t.is(meta('w').get(FIELD_META_PG_TYPE), '"app"."Weird Enum"');
    t.is(meta('a_m').get(FIELD_META_PG_TYPE), '"public"."mood"[]');
    t.is(meta('tstz').get(FIELD_META_PG_TYPE), 'timestamp with time zone');
    t.is(meta('x_rng').get(FIELD_META_PG_TYPE), 'int4range');
    t.is(meta('id').get(FIELD_META_PK_POSITION), '1');
    t.false(meta('b').has(FIELD_META_PK_POSITION));
    t.is(String(schema.fields.find((f) => f.name === 'tstz')!.type), 'Timestamp<MICROSECOND, UTC>');
    t.is(String(schema.fields.find((f) => f.name === 'n')!.type), 'Utf8');
  } finally {
    await source.close();
  }
});

test.serial('decode → encode reproduces the exact bytes PostgreSQL sent, at any chunking', async (t) => {
  const source = new PostgresSource({ connectionString: src.url }, { table: 'torture' });
  let schema;
  try {
    schema = await source.open(new AbortController().signal);
  } finally {
    await source.close();
  }
  // The same SELECT the source runs (other types cast to text), captured raw.
  const select = schema.fields
    .map((f) => (['x_tsv', 'x_rng', 'x_pt', 'x_bits', 'x_xml', 'x_arr_rng', 'x_money_free'].includes(f.name) ? `"${f.name}"::text` : `"${f.name}"`))
    .join(', ');
  const raw = await withClient(src.url, async (c: pg.Client) => {
    const parts: Buffer[] = [];
    for await (const chunk of c.query(pgCopy.to(`COPY (SELECT ${select} FROM torture ORDER BY id) TO STDOUT (FORMAT binary)`))) parts.push(chunk as Buffer);
    return Buffer.concat(parts);
  });
  const { codecForColumn } = await import('../../../../src/connectors/postgres/type-map.js');
  const { readTable } = await import('../../../../src/connectors/postgres/catalog.js');
  const info = (await withClient(src.url, (c) => readTable(c, 'public', 'torture')))!;
  const codecs = info.columns.map(codecForColumn);
  for (const chunkSize of [1, 7, 64, 100000]) {
    const decoder = new CopyDecoder(schema, codecs, { batchRows: 3 });
    const batches = [];
    for (let i = 0; i < raw.length; i += chunkSize) batches.push(...decoder.push(raw.subarray(i, i + chunkSize)));
    batches.push(...decoder.finish());
    t.deepEqual(
      batches.map((b) => b.numRows),
      [3, 1],
    );
    const encoder = new CopyEncoder(codecs.map((c, index) => ({ name: c.name, index, kind: c.kind, elemKind: c.elemKind, elemOid: c.elemOid })));
    const out: Uint8Array[] = [encoder.header()];
    for (const b of batches) encoder.encode(b, (chunk) => out.push(Buffer.from(chunk)));
    out.push(encoder.trailer());
    t.true(Buffer.concat(out).equals(raw), `byte-identical round trip with ${chunkSize}-byte chunks`);
  }
});

test.serial('columns subset, WHERE filter and a custom query', async (t) => {
  await copyTable({ table: 'torture', columns: ['id', 'n', 'a_t'], where: 'id >= 3' }, 'public.subset', 'append');
  const rows = await withClient(dst.url, (c) => rowsAsText(c, 'public.subset'));
  const expected = await withClient(src.url, (c) => rowsAsText(c, '(SELECT id, n, a_t FROM torture WHERE id >= 3)'));
  t.deepEqual(rows, expected);
  t.is(rows.length, 2);

  await copyTable({ query: 'SELECT id, upper(t) AS shout, n * 2 AS twice, x_rng FROM torture;' }, 'public.from_query', 'append');
  const q = await withClient(dst.url, (c) => rowsAsText(c, 'public.from_query'));
  const qe = await withClient(src.url, (c) => rowsAsText(c, '(SELECT id, upper(t) AS shout, n * 2 AS twice, x_rng FROM torture)'));
  t.deepEqual(q, qe);
  const types = await withClient(dst.url, (c) => columnTypes(c, 'public.from_query'));
  t.deepEqual(types, [
    ['id', 'integer'],
    ['shout', 'text'],
    ['twice', 'numeric'],
    ['x_rng', 'int4range'],
  ]);
});

test.serial('unsupported shapes fail with DATA_ERROR instead of losing data', async (t) => {
  await withClient(src.url, (c) =>
    c.query(`CREATE TABLE edge (id int, a int[], ts timestamp);
             INSERT INTO edge VALUES (1, '{{1,2},{3,4}}', NULL), (2, '[0:1]={1,2}', NULL), (3, NULL, '294276-12-31 23:59:59')`),
  );
  for (const [id, pattern] of [
    [1, /2-dimensional/],
    [2, /lower bound/],
    [3, /year 292277/],
  ] as const) {
    const err = await t.throwsAsync(copyTable({ table: 'edge', where: `id = ${id}` }, `public.edge_${id}`, 'append'));
    t.true(isSynqxError(err) && err.code === 'DATA_ERROR', String(err));
    t.regex(err!.message, pattern);
    const exists = await withClient(dst.url, (c) => c.query(`SELECT to_regclass($1) AS r`, [`public.edge_${id}`]));
    t.is(exists.rows[0].r, null, 'the failed load did not leave a created table behind');
  }
});

test.serial('domains travel as their base type; arrays of domains keep element oids straight', async (t) => {
  await withClient(src.url, (c) =>
    c.query(`CREATE DOMAIN posint AS int CHECK (VALUE > 0);
             CREATE TABLE dom (id posint PRIMARY KEY, tags posint[]);
             INSERT INTO dom VALUES (1, '{1,2}'), (2, NULL), (3, '{}')`),
  );
  await withClient(dst.url, (c) =>
    c.query(`CREATE DOMAIN posint AS int CHECK (VALUE > 0); CREATE TABLE dom_existing (id posint PRIMARY KEY, tags posint[])`),
  );
  await copyTable({ table: 'dom' }, 'public.dom_created', 'append');
  await copyTable({ table: 'dom' }, 'public.dom_existing', 'append');
  await copyTable({ table: 'dom' }, 'public.dom_existing', 'upsert');
  const expected = await withClient(src.url, (c) => rowsAsText(c, 'dom'));
  t.deepEqual(await withClient(dst.url, (c) => rowsAsText(c, 'public.dom_created')), expected);
  t.deepEqual(await withClient(dst.url, (c) => rowsAsText(c, 'public.dom_existing')), expected);
  t.deepEqual(await withClient(dst.url, (c) => columnTypes(c, 'public.dom_created')), [
    ['id', 'integer'],
    ['tags', 'integer[]'],
  ]);
});
