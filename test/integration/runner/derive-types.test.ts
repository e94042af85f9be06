import test from 'ava';
import { withClient, type TestDatabase } from '../../helpers/pg.js';
import { admitJob, createPipeline, ctx, destinationAsset, openRunnerFixture, sourceAsset, sql, type RunnerFixture } from './runner-fixture.js';

// derive against real Postgres: the load creates the destination from derive's output, and each
// column gets the type the same expression has in SQL (information_schema), holding the same values.

let f: RunnerFixture;
let people: number;

const DERIVED = {
  age_next: 'age + 1',
  age_int: 'cast(age_text as int)',
  small: 'cast(qty as smallint)',
  day: 'd',
  day_or: "coalesce(d, cast('2000-01-01' as date))",
  month: "date_trunc('month', d)",
  seen: 'ts',
  nothing: 'null',
  half: 'qty / 2',
  price: 'amount',
  big_next: 'big + age',
} as const;

/** The same columns in SQL, in the same order (SynqX's `/` is true division, hence the float8 cast). */
const SQL_SELECT = `SELECT id, age + 1 AS age_next, age_text::int AS age_int, qty::smallint AS small, d AS day,
  coalesce(d, date '2000-01-01') AS day_or, date_trunc('month', d) AS month, ts AS seen, NULL AS nothing,
  qty::float8 / 2 AS half, amount AS price, big + age AS big_next FROM people`;

test.before(async () => {
  f = await openRunnerFixture();
  await sql(
    f.src,
    `CREATE TABLE people (id int PRIMARY KEY, age int, age_text text, qty int, d date, ts timestamp, amount numeric(12,2), big bigint);
     INSERT INTO people SELECT g, CASE WHEN g % 7 = 0 THEN NULL ELSE 18 + g % 50 END, (g % 100)::text, g % 300,
       CASE WHEN g % 11 = 0 THEN NULL ELSE date '2024-01-01' + g END, timestamp '2024-01-01 08:30' + g * interval '1 hour',
       (g * 1.25)::numeric(12,2), g::bigint * 1000000000
     FROM generate_series(1, 5000) g;`,
  );
  people = await sourceAsset(f, 'people', { batch_rows: 1000 });
});
test.after.always(async () => f?.close());

async function runDerive(table: string): Promise<{ status: string; error?: string }> {
  const dest = await destinationAsset(f, table);
  const pipelineId = await createPipeline(
    f,
    [
      { node_id: 'read', operator_type: 'extract', operator_class: 'postgresql', source_asset_id: people },
      { node_id: 'pick', operator_type: 'transform', operator_class: 'select', config: { columns: ['id', 'age', 'age_text', 'qty', 'd', 'ts', 'amount', 'big'] } },
      { node_id: 'calc', operator_type: 'transform', operator_class: 'derive', config: { columns: DERIVED } },
      { node_id: 'trim', operator_type: 'transform', operator_class: 'select', config: { columns: ['id', ...Object.keys(DERIVED)] } },
      { node_id: 'write', operator_type: 'load', operator_class: 'postgresql', destination_asset_id: dest },
    ],
    [
      ['read', 'pick'],
      ['pick', 'calc'],
      ['calc', 'trim'],
      ['trim', 'write'],
    ],
  );
  const { job } = await admitJob(f, pipelineId);
  const outcome = await f.runner.run(job.id, new AbortController().signal, ctx());
  return { status: outcome.status, error: outcome.error?.message };
}

/** Each column's information_schema data_type (numeric with its precision and scale). */
const columnTypes = async (table: string) =>
  Object.fromEntries(
    (
      await sql<{ column_name: string; data_type: string; numeric_precision: number; numeric_scale: number }>(
        f.dst,
        'SELECT column_name, data_type, numeric_precision, numeric_scale FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position',
        [table],
      )
    ).map((r) => [r.column_name, r.data_type === 'numeric' ? `numeric(${r.numeric_precision},${r.numeric_scale})` : r.data_type]),
  );

/** A query's rows as text, in UTC so timestamptz values print the same in both databases. */
const utcRows = (db: TestDatabase, query: string) =>
  withClient(db.url, async (c) => {
    await c.query("SET TIME ZONE 'UTC'");
    return (await c.query<{ t: string }>(`SELECT t::text AS t FROM (${query}) t ORDER BY 1`)).rows.map((r) => r.t);
  });

test.serial('the destination derive creates has the SQL result types and the values SQL computes', async (t) => {
  const run = await runDerive('people_typed');
  t.is(run.status, 'success', run.error);
  t.deepEqual(await columnTypes('people_typed'), {
    id: 'integer',
    age_next: 'integer',
    age_int: 'integer',
    small: 'smallint',
    day: 'date',
    day_or: 'date',
    month: 'timestamp with time zone',
    seen: 'timestamp without time zone',
    nothing: 'text',
    half: 'double precision',
    price: 'numeric(12,2)',
    big_next: 'bigint',
  });
  const got = await utcRows(f.dst, 'SELECT * FROM people_typed');
  t.is(got.length, 5000);
  t.deepEqual(got, await utcRows(f.src, SQL_SELECT));
});

test.serial('a destination created with the old types (double precision, timestamptz) still takes int4 and date columns', async (t) => {
  await sql(
    f.dst,
    `CREATE TABLE people_old (id integer, age_next double precision, age_int double precision, small double precision, day timestamptz,
       day_or timestamptz, month timestamptz, seen timestamptz, nothing integer, half double precision, price double precision, big_next bigint)`,
  );
  const run = await runDerive('people_old');
  t.is(run.status, 'success', run.error);
  const rows = await sql<{ age_next: number; day: Date; nothing: number | null }>(f.dst, 'SELECT age_next, day, nothing FROM people_old WHERE id = 1');
  t.deepEqual(rows, [{ age_next: 20, day: new Date(Date.UTC(2024, 0, 2)), nothing: null }]);
});
