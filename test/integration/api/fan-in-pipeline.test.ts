import test from 'ava';
import { createTestDatabase, withClient, type TestDatabase } from '../../helpers/pg.js';
import { createAsset, createPgConnection, startTestApp, type TestApp, realPipelineRunner } from '../../helpers/test-app.js';

// Fan-in transforms (join, merge) end to end through the API: Postgres tables → extract nodes → join
// or merge → new Postgres tables, run with ?wait=true; every destination must hold exactly the rows of
// the same JOIN (or merge written as SQL) on the same data. Rows are compared as sorted row literals,
// so the comparison ignores the order the engine wrote them in but not a single value or column.

let data: TestDatabase;
let app: TestApp;
let connId: number;
const sql = <T extends Record<string, unknown>>(text: string) => withClient(data.url, async (c) => (await c.query(text)).rows as T[]);

/** Each row as its Postgres text literal, sorted: the multiset of rows, whatever the write order. */
const rowTexts = async (query: string) => (await sql<{ r: string }>(`SELECT x::text AS r FROM (${query}) x`)).map((r) => r.r).sort();
const columnsOf = async (table: string) =>
  (await sql<{ column_name: string }>(`SELECT column_name FROM information_schema.columns WHERE table_name = '${table}' ORDER BY ordinal_position`)).map(
    (c) => c.column_name,
  );

test.before(async () => {
  data = await createTestDatabase('synqx_fanin');
  // Keys repeat on both sides (k: ~3 rows per value on the left, ~2 on the right), some are NULL, and
  // only part of each side's keys exist on the other side; `tag` is a second key with NULLs of its own.
  await sql(`
    CREATE TABLE lhs (id int PRIMARY KEY, k int, tag text, lv text);
    INSERT INTO lhs SELECT g, CASE WHEN g % 53 = 0 THEN NULL ELSE g % 700 END,
      CASE WHEN g % 61 = 0 THEN NULL ELSE chr(97 + g % 3) END, 'l' || g FROM generate_series(1, 2000) g;
    CREATE TABLE rhs (id int PRIMARY KEY, k int, tag text, rv int);
    INSERT INTO rhs SELECT g, CASE WHEN g % 47 = 0 THEN NULL ELSE 400 + g % 1000 END,
      CASE WHEN g % 59 = 0 THEN NULL ELSE chr(97 + g % 2) END, (g * 7919) % 1000 FROM generate_series(1, 2000) g;

    CREATE TABLE accounts (id int, name text, balance int);
    INSERT INTO accounts SELECT CASE WHEN g % 97 = 0 THEN NULL ELSE g % 1900 END, 'acct' || g, g * 3 FROM generate_series(1, 2000) g;
    CREATE TABLE account_changes (id int, name text, balance int, deleted boolean);
    INSERT INTO account_changes SELECT CASE WHEN g % 83 = 0 THEN NULL ELSE ((g % 600) * 7) % 2300 END, 'chg' || g, -g,
      CASE WHEN g % 5 = 0 THEN true WHEN g % 11 = 0 THEN NULL ELSE false END FROM generate_series(1, 700) g;
  `);
  app = await startTestApp({
    store: 'postgres',
    runner: realPipelineRunner(),
  });
  connId = await createPgConnection(app, data.name, 'fanin');
});
test.after.always(async () => {
  await app?.close();
  await data?.drop();
});

/** One asset per table name on the connection, created on first use. */
const assets = new Map<string, number>();
const asset = async (name: string, is_destination = false) => {
  const known = assets.get(name);
  if (known !== undefined) return known;
  const id = await createAsset(app, connId, name, is_destination);
  assets.set(name, id);
  return id;
};
const named = (nodes: Record<string, unknown>[]) => nodes.map((n) => ({ name: n.node_id, ...n }));
const extract = async (node_id: string, table: string, order_index: number) => ({
  node_id,
  operator_type: 'extract',
  operator_class: 'postgresql',
  source_asset_id: await asset(table),
  order_index,
});
const load = async (node_id: string, table: string, order_index: number) => ({
  node_id,
  operator_type: 'load',
  operator_class: 'postgresql',
  destination_asset_id: await asset(table, true),
  order_index,
});

async function runPipeline(name: string, version: { nodes: Record<string, unknown>[]; edges: { from_node_id: string; to_node_id: string }[] }) {
  const p = await app.api('POST', '/api/v1/pipelines', { name, initial_version: { nodes: named(version.nodes), edges: version.edges } });
  if (p.status !== 201) throw new Error(p.text);
  return { pipelineId: p.body.id as number, ...(await runPublished(p.body.id)) };
}

async function runPublished(pipelineId: number) {
  const run = await app.api('POST', `/api/v1/pipelines/${pipelineId}/run?wait=true`);
  const r = await app.api('GET', `/api/v1/runs/${run.body.run_id}`);
  const step = (key: string) => (r.body.step_runs as any[]).find((s) => s.node_key === key);
  return { run: run.body, detail: r.body, step };
}

test.serial('inner, left and full joins (keys and on, NULL and duplicate keys) equal the same SQL JOINs', async (t) => {
  const { run, step } = await runPipeline('three joins', {
    nodes: [
      await extract('l_inner', 'lhs', 1),
      await extract('r_inner', 'rhs', 2),
      await extract('l_left', 'lhs', 3),
      await extract('r_left', 'rhs', 4),
      await extract('l_full', 'lhs', 5),
      await extract('r_full', 'rhs', 6),
      { node_id: 'inner', operator_type: 'join', operator_class: 'join', order_index: 7, config: { type: 'inner', keys: ['k'] } },
      {
        node_id: 'left',
        operator_type: 'join',
        operator_class: 'join',
        order_index: 8,
        config: { type: 'left', on: [{ left: 'k', right: 'k' }, { left: 'tag', right: 'tag' }] },
      },
      // build: left holds the left input instead, so both hash-table sides are exercised.
      { node_id: 'full', operator_type: 'transform', operator_class: 'join', order_index: 9, config: { type: 'full', keys: ['k', 'tag'], build: 'left' } },
      await load('w_inner', 'joined_inner', 10),
      await load('w_left', 'joined_left', 11),
      await load('w_full', 'joined_full', 12),
    ],
    edges: [
      { from_node_id: 'l_inner', to_node_id: 'inner' },
      { from_node_id: 'r_inner', to_node_id: 'inner' },
      { from_node_id: 'l_left', to_node_id: 'left' },
      { from_node_id: 'r_left', to_node_id: 'left' },
      { from_node_id: 'l_full', to_node_id: 'full' },
      { from_node_id: 'r_full', to_node_id: 'full' },
      { from_node_id: 'inner', to_node_id: 'w_inner' },
      { from_node_id: 'left', to_node_id: 'w_left' },
      { from_node_id: 'full', to_node_id: 'w_full' },
    ],
  });
  t.is(run.status, 'success', JSON.stringify(run));

  // keys: one COALESCEd key column in the left key's place (JOIN … USING), clashing right names suffixed.
  t.deepEqual(await columnsOf('joined_inner'), ['id', 'k', 'tag', 'lv', 'id_right', 'tag_right', 'rv']);
  const inner = await rowTexts('SELECT l.id, k, l.tag, l.lv, r.id, r.tag, r.rv FROM lhs l JOIN rhs r USING (k)');
  t.deepEqual(await rowTexts('SELECT * FROM joined_inner'), inner);

  // on: every column of both sides kept.
  t.deepEqual(await columnsOf('joined_left'), ['id', 'k', 'tag', 'lv', 'id_right', 'k_right', 'tag_right', 'rv']);
  const left = await rowTexts('SELECT l.id, l.k, l.tag, l.lv, r.id, r.k, r.tag, r.rv FROM lhs l LEFT JOIN rhs r ON l.k = r.k AND l.tag = r.tag');
  t.deepEqual(await rowTexts('SELECT * FROM joined_left'), left);

  t.deepEqual(await columnsOf('joined_full'), ['id', 'k', 'tag', 'lv', 'id_right', 'rv']);
  const full = await rowTexts('SELECT l.id, k, tag, l.lv, r.id, r.rv FROM lhs l FULL JOIN rhs r USING (k, tag)');
  t.deepEqual(await rowTexts('SELECT * FROM joined_full'), full);

  // The data must make the joins differ, or the comparisons above prove little.
  t.true(inner.length > 1000, `inner join has ${inner.length} rows`);
  t.true(left.length > inner.length / 2 && left.length !== inner.length);
  t.true(full.length > left.length);
  const unmatched = await sql<{ l: number; r: number; lnull: number; rnull: number }>(`
    SELECT count(*) FILTER (WHERE r_id IS NULL)::int AS l, count(*) FILTER (WHERE l_id IS NULL)::int AS r,
           count(*) FILTER (WHERE r_id IS NULL AND k IS NULL)::int AS lnull, count(*) FILTER (WHERE l_id IS NULL AND k IS NULL)::int AS rnull
    FROM (SELECT l.id AS l_id, r.id AS r_id, k FROM lhs l FULL JOIN rhs r USING (k, tag)) x`);
  t.true(unmatched[0]!.l > 0 && unmatched[0]!.r > 0 && unmatched[0]!.lnull > 0 && unmatched[0]!.rnull > 0, JSON.stringify(unmatched));

  t.like(step('inner'), { status: 'success', records_in: 4000, records_out: inner.length });
  t.like(step('left'), { status: 'success', records_in: 4000, records_out: left.length });
  t.like(step('full'), { status: 'success', records_in: 4000, records_out: full.length });
  t.like(step('w_full'), { status: 'success', records_in: full.length, records_out: full.length });
});

test.serial('merge applies a delta with a delete flag onto the primary: the destination equals the merge written in SQL', async (t) => {
  const { run, step } = await runPipeline('merge accounts', {
    nodes: [
      await extract('base', 'accounts', 1),
      await extract('changes', 'account_changes', 2),
      { node_id: 'apply', operator_type: 'merge', operator_class: 'merge', order_index: 3, config: { keys: ['id'], delete_column: 'deleted' } },
      await load('write', 'accounts_merged', 4),
    ],
    edges: [
      { from_node_id: 'base', to_node_id: 'apply' },
      { from_node_id: 'changes', to_node_id: 'apply' },
      { from_node_id: 'apply', to_node_id: 'write' },
    ],
  });
  t.is(run.status, 'success', JSON.stringify(run));
  t.deepEqual(await columnsOf('accounts_merged'), ['id', 'name', 'balance']);

  // Last delta row per key (in table order, the order the extract reads a freshly filled table) wins;
  // its key's primary rows give way to it once, or vanish when it is a deletion; NULL keys never match.
  const expected = await rowTexts(`
    WITH d AS (SELECT DISTINCT ON (id) id, name, balance, deleted FROM account_changes WHERE id IS NOT NULL ORDER BY id, ctid DESC)
    SELECT id, name, balance FROM accounts WHERE id IS NULL OR id NOT IN (SELECT id FROM d)
    UNION ALL SELECT id, name, balance FROM d WHERE deleted IS NOT TRUE
    UNION ALL SELECT id, name, balance FROM account_changes WHERE id IS NULL AND deleted IS NOT TRUE`);
  t.deepEqual(await rowTexts('SELECT * FROM accounts_merged'), expected);

  const shape = await sql<{ deleted: number; replaced: number; appended: number; collapsed: number; repeated: number }>(`
    WITH d AS (SELECT DISTINCT ON (id) id, deleted FROM account_changes WHERE id IS NOT NULL ORDER BY id, ctid DESC)
    SELECT count(*) FILTER (WHERE deleted AND id IN (SELECT id FROM accounts))::int AS deleted,
           count(*) FILTER (WHERE deleted IS NOT TRUE AND id IN (SELECT id FROM accounts))::int AS replaced,
           count(*) FILTER (WHERE deleted IS NOT TRUE AND id NOT IN (SELECT id FROM accounts WHERE id IS NOT NULL))::int AS appended,
           (SELECT count(*)::int FROM (SELECT id FROM accounts WHERE id IN (SELECT id FROM d) GROUP BY id HAVING count(*) > 1) x) AS collapsed,
           (SELECT count(*)::int FROM (SELECT id FROM account_changes GROUP BY id HAVING count(DISTINCT deleted IS TRUE) > 1) x) AS repeated
    FROM d`);
  const s = shape[0]!;
  // Every case the merge distinguishes occurs, including a key whose delta rows disagree on deleting it.
  t.true(s.deleted > 0 && s.replaced > 0 && s.appended > 0 && s.collapsed > 0 && s.repeated > 0, JSON.stringify(s));

  t.like(step('apply'), { status: 'success', records_in: 2700, records_out: expected.length });
});

test.serial("edge declaration order decides a join's left and right: swapping the edges turns the left join around", async (t) => {
  // `a_rhs` sorts first by node_id and order_index, so only the edges' order makes lhs the left input.
  const nodes = [
    await extract('a_rhs', 'rhs', 1),
    await extract('b_lhs', 'lhs', 2),
    { node_id: 'j', operator_type: 'join', operator_class: 'join', order_index: 3, config: { type: 'left', keys: ['k'] } },
    await load('w', 'edge_order_v1', 4),
  ];
  const edges = (first: string, second: string) => [
    { from_node_id: first, to_node_id: 'j' },
    { from_node_id: second, to_node_id: 'j' },
    { from_node_id: 'j', to_node_id: 'w' },
  ];
  const v1 = await runPipeline('edge order', { nodes, edges: edges('b_lhs', 'a_rhs') });
  t.is(v1.run.status, 'success', JSON.stringify(v1.run));
  t.deepEqual(await columnsOf('edge_order_v1'), ['id', 'k', 'tag', 'lv', 'id_right', 'tag_right', 'rv']);
  const lhsLeft = await rowTexts('SELECT l.id, k, l.tag, l.lv, r.id, r.tag, r.rv FROM lhs l LEFT JOIN rhs r USING (k)');
  t.deepEqual(await rowTexts('SELECT * FROM edge_order_v1'), lhsLeft);

  // Version 2: the same nodes (writing elsewhere, the columns change), the two edges into j swapped.
  const v2 = await app.api('POST', `/api/v1/pipelines/${v1.pipelineId}/versions`, {
    nodes: named([...nodes.filter((n) => n.node_id !== 'w'), await load('w', 'edge_order_v2', 4)]),
    edges: edges('a_rhs', 'b_lhs'),
    publish: true,
  });
  t.is(v2.status, 201, v2.text);
  const edgesBack = await app.api('GET', `/api/v1/pipelines/${v1.pipelineId}/versions/${v2.body.id}`);
  t.deepEqual(
    (edgesBack.body.edges as any[]).map((e) => `${e.from_node_id}->${e.to_node_id}`),
    ['a_rhs->j', 'b_lhs->j', 'j->w'],
    'edges are read back in declaration order',
  );
  const second = await runPublished(v1.pipelineId);
  t.is(second.run.status, 'success', JSON.stringify(second.run));
  t.deepEqual(await columnsOf('edge_order_v2'), ['id', 'k', 'tag', 'rv', 'id_right', 'tag_right', 'lv']);
  const rhsLeft = await rowTexts('SELECT r.id, k, r.tag, r.rv, l.id, l.tag, l.lv FROM rhs r LEFT JOIN lhs l USING (k)');
  t.deepEqual(await rowTexts('SELECT * FROM edge_order_v2'), rhsLeft);
  t.not(rhsLeft.length, lhsLeft.length, 'the two left joins must differ in size for this test to mean anything');
  t.like(second.step('j'), { status: 'success', records_in: 4000, records_out: rhsLeft.length });
});

test.serial('a join whose build side exceeds max_build_rows fails the run with the clear message; the destination is not written', async (t) => {
  const { run, detail, step } = await runPipeline('too big to build', {
    nodes: [
      await extract('l', 'lhs', 1),
      await extract('r', 'rhs', 2),
      { node_id: 'j', operator_type: 'join', operator_class: 'join', order_index: 3, config: { keys: ['k'], max_build_rows: 500 } },
      await load('w', 'never_written', 4),
    ],
    edges: [
      { from_node_id: 'l', to_node_id: 'j' },
      { from_node_id: 'r', to_node_id: 'j' },
      { from_node_id: 'j', to_node_id: 'w' },
    ],
  });
  t.is(run.status, 'failed', JSON.stringify(run));
  t.regex(detail.error_message, /join build side \(right input\) exceeds max_build_rows=500; raise max_build_rows or make the smaller input the build side/);
  t.like(step('j'), { status: 'failed' });
  const exists = await sql<{ t: string | null }>("SELECT to_regclass('public.never_written')::text AS t");
  t.log(exists[0]!.t === null ? 'destination table not created' : 'destination table created, must be empty');
  if (exists[0]!.t !== null) t.deepEqual(await sql('SELECT count(*)::int AS n FROM never_written'), [{ n: 0 }]);
});
