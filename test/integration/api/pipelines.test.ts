import test from 'ava';
import type { PipelineChange } from '../../../src/services/pipeline-service.js';
import type { Queryable } from '../../../src/store/db.js';
import { startTestApp, type TestApp } from '../../helpers/test-app.js';

// The example payload of the original SynqX README, byte for byte in meaning.
const README_PAYLOAD = {
  name: 'User Backup Pipeline',
  description: 'Backs up user data daily',
  schedule_cron: '0 0 * * *',
  schedule_enabled: true,
  initial_version: {
    config_snapshot: {},
    nodes: [
      { node_id: 'extract_users', name: 'Extract Users', operator_type: 'extract', operator_class: 'postgresql', source_asset_id: 1, order_index: 1 },
      { node_id: 'load_backup', name: 'Load Backup', operator_type: 'load', operator_class: 'postgresql', destination_asset_id: 1, order_index: 2 },
    ],
    edges: [{ from_node_id: 'extract_users', to_node_id: 'load_backup' }],
  },
};

interface Seed {
  users: number;
  backup: number;
  deletedAsset: number;
  orphan: number;
}

/** A connection, its vault key row and assets, straight in SQL (the connections API is not under test here). */
async function seedAssets(q: Queryable): Promise<Seed> {
  await q.query(`INSERT INTO vault_keys (key_id, salt, check_value, is_active) VALUES ('pipelines-test-key', '\\x00', 'unused', false)`);
  const conn = async (name: string, deleted: boolean) =>
    (await q.query<{ id: number }>(
      `INSERT INTO connections (name, connector_type, config_encrypted, key_id, deleted_at)
       VALUES ($1, 'postgresql', 'not-a-real-envelope', 'pipelines-test-key', ${deleted ? 'now()' : 'NULL'}) RETURNING id`,
      [name],
    )).rows[0]!.id;
  const live = await conn('warehouse', false);
  const gone = await conn('retired', true);
  const asset = async (connection: number, name: string, deleted = false) =>
    (await q.query<{ id: number }>(
      `INSERT INTO assets (connection_id, name, fully_qualified_name, is_source, is_destination, deleted_at)
       VALUES ($1, $2, $3, true, false, ${deleted ? 'now()' : 'NULL'}) RETURNING id`,
      [connection, name, `public.${name}`],
    )).rows[0]!.id;
  return {
    users: await asset(live, 'users'),
    backup: await asset(live, 'users_backup'),
    deletedAsset: await asset(live, 'dropped', true),
    orphan: await asset(gone, 'orphan'),
  };
}

async function appWithAssets(t: { teardown(fn: () => Promise<void>): void }, store: 'postgres' | 'pglite' = 'postgres'): Promise<{ app: TestApp; seed: Seed }> {
  const app = await startTestApp({ store });
  t.teardown(() => app.close());
  return { app, seed: await seedAssets(app.store.db) };
}

const simpleVersion = (seed: Seed, extra: Record<string, unknown> = {}) => ({
  nodes: [
    { node_id: 'e', name: 'E', operator_type: 'extract', operator_class: 'postgresql', source_asset_id: seed.users, order_index: 0 },
    { node_id: 'f', name: 'F', operator_type: 'transform', operator_class: 'filter', config: { condition: 'age > 28' }, order_index: 1 },
    { node_id: 'l', name: 'L', operator_type: 'load', operator_class: 'postgresql', destination_asset_id: seed.backup, order_index: 2 },
  ],
  edges: [
    { from_node_id: 'e', to_node_id: 'f' },
    { from_node_id: 'f', to_node_id: 'l' },
  ],
  ...extra,
});

const fields = (body: any): string[] => body.error.details.map((d: any) => d.field);
const problem = (body: any, field: string) => body.error.details.find((d: any) => d.field === field);

for (const store of ['postgres', 'pglite'] as const) {
  test(`${store}: the original README payload is accepted as-is (201, version 1 published), also with the trailing slash`, async (t) => {
    const { app } = await appWithAssets(t, store);
    const r = await app.api('POST', '/api/v1/pipelines/', README_PAYLOAD);
    t.is(r.status, 201, r.text);
    const p = r.body;
    t.like(p, {
      name: 'User Backup Pipeline',
      description: 'Backs up user data daily',
      schedule_cron: '0 0 * * *',
      schedule_enabled: true,
      schedule_timezone: 'UTC',
      max_parallel_runs: 1,
      execution_timeout_seconds: null,
      priority: 5,
      status: 'active',
      current_version: 1,
      latest_version: 1,
    });
    t.deepEqual(p.tags, {});
    t.is(typeof p.id, 'number');
    t.is(p.current_version_id, p.current_version_detail.id);
    t.is(p.published_version_id, p.current_version_id);
    const v = p.current_version_detail;
    t.like(v, { pipeline_id: p.id, version: 1, is_published: true, node_count: 2, edge_count: 1, config_snapshot: {} });
    t.truthy(Date.parse(v.published_at));
    t.like(v.nodes[0], {
      node_id: 'extract_users', name: 'Extract Users', operator_type: 'extract', operator_class: 'postgresql',
      source_asset_id: 1, destination_asset_id: null, order_index: 1, max_retries: 3, timeout_seconds: null, config: {},
    });
    t.like(v.nodes[1], { node_id: 'load_backup', destination_asset_id: 1 });
    t.like(v.edges[0], { from_node_id: 'extract_users', to_node_id: 'load_backup', edge_type: 'data_flow' });

    const got = await app.api('GET', `/api/v1/pipelines/${p.id}`);
    t.is(got.status, 200);
    t.deepEqual(got.body, p, 'GET answers the same shape as the create');
    t.is((await app.api('GET', `/api/v1/pipelines/${p.id}/`)).status, 200);
  });
}

test('a cyclic variant of the README payload is refused with 422 naming the cycle', async (t) => {
  const { app } = await appWithAssets(t);
  const cyclic = structuredClone(README_PAYLOAD);
  cyclic.initial_version.nodes.push({
    node_id: 'clean', name: 'Clean', operator_type: 'transform', operator_class: 'noop', order_index: 3,
  } as any);
  cyclic.initial_version.edges = [
    { from_node_id: 'extract_users', to_node_id: 'load_backup' },
    { from_node_id: 'load_backup', to_node_id: 'clean' },
    { from_node_id: 'clean', to_node_id: 'extract_users' },
  ];
  const r = await app.api('POST', '/api/v1/pipelines', cyclic);
  t.is(r.status, 422, r.text);
  t.is(r.body.error.code, 'VALIDATION_FAILED');
  const cycle = r.body.error.details.find((d: any) => d.error_type === 'cycle');
  t.is(cycle.field, 'initial_version.edges');
  t.is(cycle.message, 'cycle: extract_users -> load_backup -> clean -> extract_users');
  t.regex(r.body.error.message, /cycle: extract_users -> load_backup -> clean -> extract_users/);
  t.is((await app.api('GET', '/api/v1/pipelines')).body.total, 0, 'nothing was stored');
});

test('every validation problem comes back in one 422 with its field path', async (t) => {
  const { app, seed } = await appWithAssets(t);
  const body = {
    name: 'Everything wrong',
    schedule_cron: '61 * * * *',
    schedule_timezone: 'Mars/Olympus_Mons',
    initial_version: {
      nodes: [
        /* 0 */ { node_id: 'src', name: 'src', operator_type: 'extract', operator_class: 'postgresql', source_asset_id: 999_999, order_index: 0 },
        /* 1 */ { node_id: 'src', name: 'dup', operator_type: 'extract', operator_class: 'postgresql', order_index: 1 },
        /* 2 */ { node_id: 'bad id!', name: 'bad', operator_type: 'transform', operator_class: 'noop', order_index: 2 },
        /* 3 */ { node_id: 'weird', name: 'weird', operator_type: 'explode', operator_class: 'noop', order_index: 3 },
        /* 4 */ { node_id: 'nope', name: 'nope', operator_type: 'transform', operator_class: 'no_such_transform', order_index: 4 },
        /* 5 */ { node_id: 'flt', name: 'flt', operator_type: 'transform', operator_class: 'filter', config: { condition: '' }, order_index: 5 },
        /* 6 */ { node_id: 'sink', name: 'sink', operator_type: 'load', operator_class: 'postgresql', order_index: 6 },
        /* 7 */ { node_id: 'old', name: 'old', operator_type: 'extract', operator_class: 'postgresql', source_asset_id: seed.deletedAsset, order_index: 7 },
        /* 8 */ { node_id: 'orph', name: 'orph', operator_type: 'load', operator_class: 'postgresql', destination_asset_id: seed.orphan, order_index: 8 },
        /* 9 */ { node_id: 'ora', name: 'ora', operator_type: 'load', operator_class: 'oracle', destination_asset_id: seed.backup, order_index: 9 },
      ],
      edges: [
        /* 0 */ { from_node_id: 'src', to_node_id: 'flt' },
        /* 1 */ { from_node_id: 'old', to_node_id: 'flt' },
        /* 2 */ { from_node_id: 'flt', to_node_id: 'sink' },
        /* 3 */ { from_node_id: 'sink', to_node_id: 'ghost' },
        /* 4 */ { from_node_id: 'nope', to_node_id: 'nope' },
        /* 5 */ { from_node_id: 'flt', to_node_id: 'sink' },
      ],
    },
  };
  const r = await app.api('POST', '/api/v1/pipelines', body);
  t.is(r.status, 422, r.text);
  const expected: Array<[string, string | RegExp]> = [
    ['schedule_cron', 'invalid_cron'],
    ['schedule_timezone', 'invalid_timezone'],
    ['initial_version.nodes.0.source_asset_id', 'asset_not_found'],
    ['initial_version.nodes.1.node_id', 'duplicate_node_id'],
    ['initial_version.nodes.1.source_asset_id', 'missing_source_asset'],
    ['initial_version.nodes.2.node_id', 'invalid_format'],
    ['initial_version.nodes.3.operator_type', 'invalid_value'],
    ['initial_version.nodes.4.operator_class', 'unknown_operator_class'],
    ['initial_version.nodes.5.config.condition', 'invalid_config'],
    ['initial_version.nodes.5', 'fan_in'],
    ['initial_version.nodes.6.destination_asset_id', 'missing_destination_asset'],
    ['initial_version.nodes.7.source_asset_id', 'asset_deleted'],
    ['initial_version.nodes.8.destination_asset_id', 'connection_deleted'],
    ['initial_version.nodes.9.operator_class', 'unknown_operator_class'],
    ['initial_version.edges.3.to_node_id', 'unknown_node'],
    ['initial_version.edges.4', 'self_loop'],
    ['initial_version.edges.5', 'duplicate_edge'],
  ];
  for (const [field, type] of expected) {
    const p = problem(r.body, field);
    t.truthy(p, `missing ${field} in ${JSON.stringify(fields(r.body))}`);
    if (p) t.is(p.error_type, type, field);
  }
  t.regex(problem(r.body, 'initial_version.nodes.5').message, /2 inputs \(src, old\)/);
  t.regex(problem(r.body, 'initial_version.nodes.0.source_asset_id').message, /asset 999999 does not exist/);
  t.regex(problem(r.body, 'initial_version.nodes.3.operator_type').message, /extract, transform, load/);
  for (const d of r.body.error.details) t.deepEqual(Object.keys(d).sort(), ['error_type', 'field', 'message']);
});

test('shape errors do not hide graph problems, and schedule_enabled needs a cron', async (t) => {
  const { app } = await appWithAssets(t);
  const r = await app.api('POST', '/api/v1/pipelines', {
    schedule_enabled: true,
    priority: 11,
    initial_version: {
      nodes: [
        { node_id: 'a', operator_type: 'transform', operator_class: 'noop', order_index: 0 },
        { node_id: 'b', name: 'b', operator_type: 'transform', operator_class: 'noop', order_index: 'first' },
        42,
      ],
      edges: [
        { from_node_id: 'a', to_node_id: 'b' },
        { from_node_id: 'b', to_node_id: 'a' },
        { from_node_id: 'a' },
      ],
    },
  });
  t.is(r.status, 422, r.text);
  const f = fields(r.body);
  for (const field of ['name', 'priority', 'schedule_enabled', 'initial_version.nodes.0.name', 'initial_version.nodes.1.order_index', 'initial_version.nodes.2', 'initial_version.edges.2.to_node_id', 'initial_version.edges']) {
    t.true(f.includes(field), `${field} in ${JSON.stringify(f)}`);
  }
  t.is(problem(r.body, 'schedule_enabled').error_type, 'schedule_without_cron');
  t.is(problem(r.body, 'initial_version.edges').message, 'cycle: a -> b -> a');
});

test('unknown ids answer 404, malformed ids 422, duplicate names 409 (case-insensitive, free again after archive)', async (t) => {
  const { app, seed } = await appWithAssets(t);
  for (const path of ['/pipelines/999', '/pipelines/999/versions', '/pipelines/999/versions/1', '/pipelines/999/stats', '/pipelines/999/metrics']) {
    const r = await app.api('GET', `/api/v1${path}`);
    t.is(r.status, 404, path);
    t.is(r.body.error.code, 'NOT_FOUND');
  }
  t.is((await app.api('DELETE', '/api/v1/pipelines/999')).status, 404);
  t.is((await app.api('PATCH', '/api/v1/pipelines/999', { description: 'x' })).status, 404);
  t.is((await app.api('POST', '/api/v1/pipelines/999/validate', {})).status, 404);
  t.is((await app.api('GET', '/api/v1/pipelines/abc')).status, 422);

  const body = { name: 'Nightly', initial_version: simpleVersion(seed) };
  const first = await app.api('POST', '/api/v1/pipelines', body);
  t.is(first.status, 201, first.text);
  t.is((await app.api('GET', `/api/v1/pipelines/${first.body.id}/versions/99999`)).status, 404);
  const dup = await app.api('POST', '/api/v1/pipelines', { ...body, name: '  NIGHTLY ' });
  t.is(dup.status, 409);
  t.is(dup.body.error.code, 'CONFLICT');
  t.regex(dup.body.error.message, /already exists/);
  // Two creates racing for the same name: the unique index lets exactly one through.
  const race = await Promise.all([1, 2, 3].map(() => app.api('POST', '/api/v1/pipelines', { ...body, name: 'Racer' })));
  t.deepEqual(race.map((r) => r.status).sort(), [201, 409, 409]);

  t.is((await app.api('DELETE', `/api/v1/pipelines/${first.body.id}`)).status, 204);
  t.is((await app.api('DELETE', `/api/v1/pipelines/${first.body.id}`)).status, 204, 'archiving twice is harmless');
  const archived = await app.api('GET', `/api/v1/pipelines/${first.body.id}`);
  t.is(archived.body.status, 'archived');
  const again = await app.api('POST', '/api/v1/pipelines', body);
  t.is(again.status, 201, 'an archived pipeline frees its name');
  const restore = await app.api('PATCH', `/api/v1/pipelines/${first.body.id}`, { status: 'active' });
  t.is(restore.status, 409, 'restoring clashes with the new live pipeline of that name');
  const versionOnArchived = await app.api('POST', `/api/v1/pipelines/${first.body.id}/versions`, simpleVersion(seed));
  t.is(versionOnArchived.status, 409);
});

test('list: newest first, paginated, archived hidden unless asked, name search, limits checked', async (t) => {
  const { app, seed } = await appWithAssets(t);
  const ids: number[] = [];
  for (const name of ['one', 'two', 'three', 'four', 'five']) {
    const r = await app.api('POST', '/api/v1/pipelines', { name, initial_version: simpleVersion(seed) });
    t.is(r.status, 201);
    ids.push(r.body.id);
  }
  const all = await app.api('GET', '/api/v1/pipelines');
  t.like(all.body, { total: 5, limit: 100, offset: 0 });
  t.deepEqual(all.body.pipelines.map((p: any) => p.name), ['five', 'four', 'three', 'two', 'one']);
  t.false('current_version_detail' in all.body.pipelines[0], 'the list answers summaries');
  const page = await app.api('GET', '/api/v1/pipelines?limit=2&offset=2');
  t.like(page.body, { total: 5, limit: 2, offset: 2 });
  t.deepEqual(page.body.pipelines.map((p: any) => p.name), ['three', 'two']);
  await app.api('DELETE', `/api/v1/pipelines/${ids[1]}`);
  t.is((await app.api('GET', '/api/v1/pipelines')).body.total, 4);
  const arch = await app.api('GET', '/api/v1/pipelines?status=archived');
  t.deepEqual(arch.body.pipelines.map((p: any) => p.name), ['two']);
  t.deepEqual((await app.api('GET', '/api/v1/pipelines?search=O')).body.pipelines.map((p: any) => p.name), ['four', 'one']);
  for (const q of ['limit=0', 'limit=1001', 'offset=-1', 'status=deleted']) {
    const r = await app.api('GET', `/api/v1/pipelines?${q}`);
    t.is(r.status, 422, q);
    t.true(r.body.error.details[0].field.startsWith('query.'), q);
  }
});

test('PATCH changes pipeline fields only, re-checks the schedule, and notifies the scheduler hook', async (t) => {
  const { app, seed } = await appWithAssets(t);
  const changes: PipelineChange[] = [];
  app.services.pipelines.onChange((c) => changes.push(c));
  const created = await app.api('POST', '/api/v1/pipelines', { name: 'Hourly', initial_version: simpleVersion(seed) });
  const id = created.body.id;
  t.deepEqual(changes.map((c) => c.kind), ['created']);

  const r = await app.api('PATCH', `/api/v1/pipelines/${id}`, { schedule_cron: '0 * * * *', schedule_enabled: true, schedule_timezone: 'Europe/Berlin', priority: 9 });
  t.is(r.status, 200, r.text);
  t.like(r.body, { schedule_cron: '0 * * * *', schedule_enabled: true, schedule_timezone: 'Europe/Berlin', priority: 9, name: 'Hourly' });
  t.is(r.body.current_version_detail.version, 1, 'the graph is untouched');
  t.deepEqual(changes.at(-1), {
    kind: 'updated',
    pipelineId: id,
    schedule: { schedule_cron: '0 * * * *', schedule_enabled: true, schedule_timezone: 'Europe/Berlin', status: 'active' },
  });
  const n = changes.length;
  t.is((await app.api('PATCH', `/api/v1/pipelines/${id}`, { description: 'no schedule change' })).status, 200);
  t.is(changes.length, n, 'a change that does not touch the schedule does not notify');

  const bad = await app.api('PATCH', `/api/v1/pipelines/${id}`, { schedule_cron: 'every hour', schedule_timezone: 'Nowhere/Land', nodes: [] });
  t.is(bad.status, 422);
  t.deepEqual(fields(bad.body).sort(), ['(root)', 'schedule_cron', 'schedule_timezone']);
  const noCron = await app.api('PATCH', `/api/v1/pipelines/${id}`, { schedule_cron: null });
  t.is(noCron.status, 422);
  t.like(problem(noCron.body, 'schedule_cron'), { error_type: 'schedule_without_cron' });
  const off = await app.api('PATCH', `/api/v1/pipelines/${id}`, { schedule_cron: null, schedule_enabled: false });
  t.is(off.status, 200);
  t.is(off.body.schedule_cron, null);

  await app.api('DELETE', `/api/v1/pipelines/${id}`);
  t.is(changes.at(-1)!.kind, 'archived');
  t.is(changes.at(-1)!.schedule.status, 'archived');
});

test('versions: N+1 is immutable and unpublished until published; publish switches the active version', async (t) => {
  const { app, seed } = await appWithAssets(t);
  const created = await app.api('POST', '/api/v1/pipelines', { name: 'Versioned', initial_version: simpleVersion(seed) });
  const id = created.body.id;
  const v1 = created.body.current_version_detail.id;

  const v2 = await app.api('POST', `/api/v1/pipelines/${id}/versions`, { ...simpleVersion(seed), version_notes: 'second', change_summary: { why: 'test' } });
  t.is(v2.status, 201, v2.text);
  t.like(v2.body, { version: 2, is_published: false, published_at: null, version_notes: 'second', change_summary: { why: 'test' } });
  t.is((await app.api('GET', `/api/v1/pipelines/${id}`)).body.current_version_id, v1, 'still version 1');

  const list = await app.api('GET', `/api/v1/pipelines/${id}/versions`);
  t.deepEqual(list.body.versions.map((v: any) => [v.version, v.is_published]), [[2, false], [1, true]]);
  t.is(list.body.total, 2);
  const one = await app.api('GET', `/api/v1/pipelines/${id}/versions/${v2.body.id}`);
  t.deepEqual(one.body, v2.body);

  const pub = await app.api('POST', `/api/v1/pipelines/${id}/versions/${v2.body.id}/publish`);
  t.is(pub.status, 200, pub.text);
  t.like(pub.body, { pipeline_id: id, version_id: v2.body.id, version_number: 2 });
  t.truthy(Date.parse(pub.body.published_at));
  const after = await app.api('GET', `/api/v1/pipelines/${id}`);
  t.like(after.body, { current_version_id: v2.body.id, current_version: 2, latest_version: 2 });
  t.is(after.body.current_version_detail.id, v2.body.id);
  t.false((await app.api('GET', `/api/v1/pipelines/${id}/versions/${v1}`)).body.is_published);

  const v3 = await app.api('POST', `/api/v1/pipelines/${id}/versions`, { ...simpleVersion(seed), publish: true });
  t.like(v3.body, { version: 3, is_published: true });
  t.is((await app.api('GET', `/api/v1/pipelines/${id}`)).body.current_version, 3);

  const invalid = await app.api('POST', `/api/v1/pipelines/${id}/versions`, {
    nodes: [{ node_id: 'x', name: 'x', operator_type: 'load', operator_class: 'postgresql' }],
    edges: [{ from_node_id: 'x', to_node_id: 'y' }],
  });
  t.is(invalid.status, 422);
  t.deepEqual(fields(invalid.body).sort(), ['edges.0.to_node_id', 'nodes.0', 'nodes.0.destination_asset_id']);
  t.is((await app.api('GET', `/api/v1/pipelines/${id}/versions`)).body.total, 3, 'nothing stored');

  t.is((await app.api('POST', `/api/v1/pipelines/${id}/versions/999999/publish`)).status, 404);
  const other = await app.api('POST', '/api/v1/pipelines', { name: 'Other', initial_version: simpleVersion(seed) });
  t.is((await app.api('POST', `/api/v1/pipelines/${id}/versions/${other.body.current_version_id}/publish`)).status, 404, "another pipeline's version");
});

test('publishing re-validates: a version whose asset was deleted since cannot be published', async (t) => {
  const { app, seed } = await appWithAssets(t);
  const created = await app.api('POST', '/api/v1/pipelines', { name: 'Fragile', initial_version: simpleVersion(seed) });
  const v2 = await app.api('POST', `/api/v1/pipelines/${created.body.id}/versions`, simpleVersion(seed));
  await app.store.db.query('UPDATE assets SET deleted_at = now() WHERE id = $1', [seed.backup]);
  const r = await app.api('POST', `/api/v1/pipelines/${created.body.id}/versions/${v2.body.id}/publish`);
  t.is(r.status, 422);
  t.like(problem(r.body, 'nodes.2.destination_asset_id'), { error_type: 'asset_deleted' });
});

test('validate: the published version, a stored version, or a candidate; 200 with errors and warnings', async (t) => {
  const { app, seed } = await appWithAssets(t);
  const created = await app.api('POST', '/api/v1/pipelines', README_PAYLOAD);
  const id = created.body.id;
  const ok = await app.api('POST', `/api/v1/pipelines/${id}/validate`);
  t.is(ok.status, 200, ok.text);
  t.like(ok.body, { valid: true, errors: [], version_id: created.body.current_version_id });
  // README's asset 1 is used as a destination without being flagged as one: advice, not an error.
  t.true(ok.body.warnings.some((w: string) => /nodes\.1\.destination_asset_id: asset 1 \(users\) is not marked as a destination/.test(w)), JSON.stringify(ok.body.warnings));

  const byId = await app.api('POST', `/api/v1/pipelines/${id}/validate`, { version_id: created.body.current_version_id });
  t.true(byId.body.valid);
  t.is((await app.api('POST', `/api/v1/pipelines/${id}/validate`, { version_id: 424242 })).status, 404);

  const candidate = await app.api('POST', `/api/v1/pipelines/${id}/validate`, {
    nodes: simpleVersion(seed).nodes,
    edges: [...simpleVersion(seed).edges, { from_node_id: 'l', to_node_id: 'e' }],
  });
  t.is(candidate.status, 200);
  t.false(candidate.body.valid);
  t.is(candidate.body.version_id, null);
  t.true(candidate.body.errors.some((e: any) => e.field === 'edges' && e.message === 'cycle: e -> f -> l -> e'));
  t.true(candidate.body.errors.some((e: any) => e.field === 'nodes.0' && e.error_type === 'unexpected_input'));

  const shape = await app.api('POST', `/api/v1/pipelines/${id}/validate`, { nodes: [{ node_id: 'x' }] });
  t.false(shape.body.valid);
  t.true(shape.body.errors.some((e: any) => e.field === 'nodes.0.operator_type'));

  await app.store.db.query('UPDATE connections SET deleted_at = now()');
  const stale = await app.api('POST', `/api/v1/pipelines/${id}/validate`);
  t.false(stale.body.valid);
  t.deepEqual(stale.body.errors.map((e: any) => e.error_type), ['connection_deleted', 'connection_deleted']);
});

test('a bad expression is a 422 naming the config key, the position and what was expected; every one at once', async (t) => {
  const { app, seed } = await appWithAssets(t);
  const version: { nodes: Record<string, unknown>[]; edges: unknown[] } = simpleVersion(seed);
  version.nodes[1] = { ...version.nodes[1]!, config: { condition: 'age >' } };
  version.nodes.splice(2, 0, {
    node_id: 'd', name: 'D', operator_type: 'transform', operator_class: 'derive', config: { columns: { x: 'upper(name', y: "date 'x' +" } }, order_index: 2,
  });
  version.edges = [
    { from_node_id: 'e', to_node_id: 'f' },
    { from_node_id: 'f', to_node_id: 'd' },
    { from_node_id: 'd', to_node_id: 'l' },
  ];
  const r = await app.api('POST', '/api/v1/pipelines', { name: 'bad expressions', initial_version: version });
  t.is(r.status, 422, r.text);
  const filter = problem(r.body, 'initial_version.nodes.1.config.condition');
  t.like(filter, { error_type: 'expression_syntax', position: 6 });
  t.true(filter.expected.includes('a column'), JSON.stringify(filter));
  t.regex(filter.message, /unexpected end of expression; expected a column, a literal, '\(', 'not' or '-' \(at position 6\)/);
  t.like(problem(r.body, 'initial_version.nodes.2.config.columns.x'), { error_type: 'expression_syntax', position: 11 });
  t.like(problem(r.body, 'initial_version.nodes.2.config.columns.y'), { error_type: 'expression_syntax', position: 11 });

  // validate answers the same problems in the original contract's shape (200, valid: false).
  const created = await app.api('POST', '/api/v1/pipelines', README_PAYLOAD);
  const v = await app.api('POST', `/api/v1/pipelines/${created.body.id}/validate`, version);
  t.is(v.status, 200);
  t.false(v.body.valid);
  t.like(v.body.errors.find((e: any) => e.field === 'nodes.1.config.condition'), { position: 6, error_type: 'expression_syntax' });
});

test('stats and metrics answer zeros before anything ran', async (t) => {
  const { app } = await appWithAssets(t);
  const created = await app.api('POST', '/api/v1/pipelines', README_PAYLOAD);
  const stats = await app.api('GET', `/api/v1/pipelines/${created.body.id}/stats`);
  t.is(stats.status, 200);
  const { next_scheduled_run, ...rest } = stats.body;
  t.deepEqual(rest, {
    pipeline_id: created.body.id,
    total_runs: 0, successful_runs: 0, failed_runs: 0, cancelled_runs: 0, active_runs: 0, success_rate: 0,
    average_duration_seconds: null, min_duration_seconds: null, max_duration_seconds: null,
    last_run_at: null, last_run_status: null, total_records_extracted: 0, total_records_loaded: 0,
  });
  // "0 0 * * *" in UTC: the next midnight.
  const next = new Date(next_scheduled_run);
  t.is(next.getUTCHours(), 0);
  t.is(next.getUTCMinutes(), 0);
  t.true(next.getTime() > Date.now() && next.getTime() <= Date.now() + 86_400_000);
  const metrics = await app.api('GET', `/api/v1/pipelines/${created.body.id}/metrics`);
  t.like(metrics.body, { total_runs: 0, runs_by_status: {}, total_records_failed: 0, total_bytes_processed: 0, first_run_at: null, success_rate: 0 });
});

test('the routes are in the OpenAPI document with their request schemas', async (t) => {
  const app = await startTestApp({ store: 'pglite' });
  t.teardown(() => app.close());
  const doc = (await app.api('GET', '/openapi.json')).body;
  const create = doc.paths['/api/v1/pipelines'].post;
  t.truthy(create.requestBody.content['application/json'].schema.properties.initial_version);
  t.truthy(doc.paths['/api/v1/pipelines/{id}/versions/{vid}/publish'].post);
  t.truthy(doc.paths['/api/v1/pipelines/{id}/validate'].post.responses['200']);
  t.deepEqual(doc.paths['/api/v1/pipelines'].get.parameters.map((p: any) => p.name).sort(), ['limit', 'offset', 'search', 'status']);
});
