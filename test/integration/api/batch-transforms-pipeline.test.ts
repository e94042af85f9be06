import test from 'ava';
import { TRANSFORMS } from '../../../src/engine/transforms/registry.js';
import { pipelineSalt } from '../../../src/services/pipeline-salt.js';
import { createTestDatabase, withClient, type TestDatabase } from '../../helpers/pg.js';
import { createAsset, createPgConnection, startTestApp, type TestApp, realPipelineRunner } from '../../helpers/test-app.js';

// Every batch transform in one real pipeline over the API: a Postgres table → select → drop_columns →
// rename_columns → map → fill_nulls → regex_replace → pii_mask → derive → filter → pandas_transform →
// noop → a new Postgres table, run with ?wait=true. The destination must hold exactly the rows the
// same steps written as one SQL query give on the source, the pii hashes included.

const MASTER = 'test-master-password';
let data: TestDatabase;
let app: TestApp;
const sql = <T extends Record<string, unknown>>(text: string, params: unknown[] = []) =>
  withClient(data.url, async (c) => (await c.query(text, params)).rows as T[]);
const rowTexts = async (query: string, params: unknown[] = []) =>
  (await sql<{ r: string }>(`SELECT x::text AS r FROM (${query}) x`, params)).map((r) => r.r).sort();

test.before(async () => {
  data = await createTestDatabase('synqx_bt');
  await sql(`
    CREATE TABLE people (id int PRIMARY KEY, internal text, first_name text, last_name text, email text, phone text,
                         city text, age int, score double precision, ssn text, notes text, active boolean);
    INSERT INTO people SELECT g, 'x' || g,
      CASE WHEN g % 41 = 0 THEN NULL ELSE 'f' || (g % 97) END,
      CASE WHEN g % 43 = 0 THEN NULL ELSE 'Name' || (g % 211) END,
      CASE WHEN g % 37 = 0 THEN NULL ELSE 'user' || g || '@example.com' END,
      CASE WHEN g % 31 = 0 THEN NULL ELSE '+49 (' || (g % 900 + 100) || ') ' || g || '-' || (g % 10) END,
      CASE WHEN g % 9 = 0 THEN NULL ELSE (ARRAY['Berlin', 'Paris', 'Rome', 'Oslo'])[1 + g % 4] END,
      CASE WHEN g % 29 = 0 THEN NULL ELSE 15 + g % 60 END,
      (g % 1000) / 8.0,
      CASE WHEN g % 23 = 0 THEN NULL WHEN g % 50 = 0 THEN 'ab' || (g % 3) WHEN g % 70 = 0 THEN 'abcd' ELSE lpad(((g * 7919) % 1000000000)::text, 9, '0') END,
      'n' || g, g % 2 = 0
    FROM generate_series(1, 3000) g;
  `);
  app = await startTestApp({
    store: 'postgres',
    masterPassword: MASTER,
    runner: realPipelineRunner(MASTER),
  });
});
test.after.always(async () => {
  await app?.close();
  await data?.drop();
});

const named = (nodes: Record<string, unknown>[]) => nodes.map((n) => ({ name: n.node_id, ...n }));
const transform = (node_id: string, operator_class: string, config: Record<string, unknown>) => ({ node_id, operator_type: 'transform', operator_class, config });

const CHAIN = [
  transform('pick', 'select', { columns: ['id', 'first_name', 'last_name', 'email', 'phone', 'age', 'city', 'score', 'ssn', 'notes', 'active'] }),
  transform('drop', 'drop_columns', { columns: ['notes'] }),
  transform('rename', 'rename_columns', { mapping: { first_name: 'given_name' } }),
  transform('reshape', 'map', { rename: { last_name: 'family_name' }, drop: ['active'] }),
  transform('fill', 'fill_nulls', { values: { city: 'unknown', age: 99 } }),
  transform('digits', 'regex_replace', { column: 'phone', pattern: '[^0-9]+', replacement: '' }),
  transform('mask', 'pii_mask', {
    masks: [
      { column: 'email', strategy: 'redact' },
      { column: 'ssn', strategy: 'partial' },
      { column: 'family_name', strategy: 'hash' },
    ],
  }),
  transform('calc', 'derive', { columns: { age_next: 'age + 1', city_upper: 'upper(city)', label: "concat(given_name, '@', city, '#', age)" } }),
  transform('keep', 'filter', { condition: "age_next > 20 and city_upper <> 'UNKNOWN'" }),
  transform('legacy', 'pandas_transform', {
    drop_columns: ['score'],
    rename_columns: { given_name: 'first' },
    filter_query: "(city == 'Berlin' & age > 30) | id % 7 == 0",
  }),
  { node_id: 'pass', operator_type: 'noop', operator_class: 'noop', config: {} },
];

test.serial('every batch transform chained in one pipeline over the API: the destination equals the same steps in SQL', async (t) => {
  const conn = await createPgConnection(app, data.name, 'people');
  const asset = (name: string, isDestination = false) => createAsset(app, conn, name, isDestination);
  const nodes = [
    { node_id: 'read', operator_type: 'extract', operator_class: 'postgresql', source_asset_id: await asset('people') },
    ...CHAIN,
    { node_id: 'write', operator_type: 'load', operator_class: 'postgresql', destination_asset_id: await asset('people_clean', true) },
  ].map((n, i) => ({ ...n, order_index: i + 1 }));
  const edges = nodes.slice(1).map((n, i) => ({ from_node_id: nodes[i]!.node_id, to_node_id: n.node_id }));
  const p = await app.api('POST', '/api/v1/pipelines', { name: 'every batch transform', initial_version: { nodes: named(nodes), edges } });
  t.is(p.status, 201, p.text);
  // A config comes back as written, key order included: derive adds its columns in that order.
  const version = await app.api('GET', `/api/v1/pipelines/${p.body.id}/versions/${p.body.current_version_id}`);
  const calc = (version.body.nodes as any[]).find((n) => n.node_id === 'calc');
  t.deepEqual(Object.keys(calc.config.columns), ['age_next', 'city_upper', 'label']);
  const run = await app.api('POST', `/api/v1/pipelines/${p.body.id}/run?wait=true`);
  t.is(run.body.status, 'success', run.text);

  const columns = await sql<{ column_name: string }>(
    "SELECT column_name FROM information_schema.columns WHERE table_name = 'people_clean' ORDER BY ordinal_position",
  );
  t.deepEqual(
    columns.map((c) => c.column_name),
    ['id', 'first', 'family_name', 'email', 'phone', 'age', 'city', 'ssn', 'age_next', 'city_upper', 'label'],
  );

  // The same steps as one query; the hash is SHA-256 of the per-pipeline salt + value, computed by Postgres.
  const salt = pipelineSalt(MASTER, p.body.id);
  const expected = await rowTexts(
    `WITH s AS (
       SELECT id, first_name AS given_name, last_name AS family_name, email, regexp_replace(phone, '[^0-9]+', '', 'g') AS phone,
              coalesce(age, 99) AS age, coalesce(city, 'unknown') AS city, score, ssn
       FROM people),
     m AS (
       SELECT id, given_name, encode(sha256(convert_to($1 || family_name, 'UTF8')), 'hex') AS family_name,
              CASE WHEN email IS NULL THEN NULL ELSE '[REDACTED]' END AS email, phone, age, city, score,
              CASE WHEN length(ssn) <= 4 THEN repeat('*', length(ssn)) ELSE repeat('*', length(ssn) - 4) || right(ssn, 4) END AS ssn
       FROM s),
     d AS (SELECT *, age + 1 AS age_next, upper(city) AS city_upper, concat(given_name, '@', city, '#', age) AS label FROM m)
     SELECT id, given_name, family_name, email, phone, age, city, ssn, age_next, city_upper, label FROM d
     WHERE age_next > 20 AND city_upper <> 'UNKNOWN' AND ((city = 'Berlin' AND age > 30) OR id % 7 = 0)`,
    [salt],
  );
  const got = await rowTexts('SELECT * FROM people_clean');
  t.deepEqual(got, expected);

  // The data must exercise what the steps do, or the comparison above proves little.
  const facts = (
    await sql<Record<string, number>>(`
      SELECT count(*)::int AS n,
             count(*) FILTER (WHERE p.first_name IS NULL)::int AS null_first,
             count(*) FILTER (WHERE p.last_name IS NULL)::int AS null_last,
             count(*) FILTER (WHERE p.email IS NULL)::int AS null_email,
             count(*) FILTER (WHERE p.age IS NULL)::int AS filled_age,
             count(*) FILTER (WHERE length(p.ssn) <= 4)::int AS short_ssn,
             count(*) FILTER (WHERE c.city <> 'Berlin')::int AS by_id,
             count(DISTINCT p.last_name)::int AS names,
             count(DISTINCT c.family_name)::int AS hashes,
             count(*) FILTER (WHERE c.family_name !~ '^[0-9a-f]{64}$' OR c.family_name = p.last_name
                                 OR c.family_name = encode(sha256(convert_to(p.last_name, 'UTF8')), 'hex'))::int AS bad_hashes
      FROM people_clean c JOIN people p USING (id)`)
  )[0]!;
  t.log(facts);
  for (const [k, v] of Object.entries(facts)) if (k !== 'bad_hashes') t.true(v > 0, `${k} = ${v}`);
  t.is(facts.bad_hashes, 0, 'hashes are 64 hex digits, and neither the value nor its unsalted SHA-256');
  t.is(facts.hashes, facts.names, 'one hash per distinct name');
  t.true(facts.n! < 3000 / 2, 'the filters drop rows');

  const r = await app.api('GET', `/api/v1/runs/${run.body.run_id}`);
  const step = (key: string) => (r.body.step_runs as any[]).find((s) => s.node_key === key);
  for (const n of CHAIN.slice(0, 8)) t.like(step(n.node_id), { status: 'success', records_in: 3000, records_out: 3000 }, n.node_id);
  const kept = Number((await sql<{ n: string }>("SELECT count(*) AS n FROM people WHERE coalesce(age, 99) + 1 > 20 AND city IS NOT NULL"))[0]!.n);
  t.like(step('keep'), { status: 'success', records_in: 3000, records_out: kept, records_filtered: 3000 - kept });
  t.like(step('legacy'), { status: 'success', records_in: kept, records_out: expected.length });
  t.like(step('pass'), { status: 'success', records_in: expected.length, records_out: expected.length });
  t.like(step('write'), { status: 'success', records_in: expected.length, records_out: expected.length });
});

test.serial('the API publishes a TransformConfig schema for every registered transform and lists each in /api/v1/transforms', async (t) => {
  const names = TRANSFORMS.map((d) => d.name);
  const doc = (await app.api('GET', '/openapi.json')).body;
  for (const name of names) {
    const schema = doc.components.schemas[`TransformConfig.${name}`];
    t.truthy(schema, `TransformConfig.${name}`);
    t.is(schema?.type, 'object', name);
    t.is(schema?.additionalProperties, false, `${name} config is strict`);
  }
  const listed = await app.api('GET', '/api/v1/transforms');
  t.is(listed.status, 200, listed.text);
  const byName = new Map((listed.body.transforms as any[]).map((x) => [x.name, x]));
  for (const d of TRANSFORMS) {
    t.like(byName.get(d.name), { description: d.description, inputs: d.inputs, plugin: false, config_schema: `TransformConfig.${d.name}` }, d.name);
    t.deepEqual(byName.get(d.name)?.operator_types, [...d.operatorTypes], d.name);
  }
  t.deepEqual([...byName.keys()].slice(0, names.length), names, 'built-ins first, in registry order');
});
