import test from 'ava';
import { fileURLToPath } from 'node:url';
import { engineRunnerFactory } from '../../../src/bin/engine-runner.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/pg.js';
import { createAsset, createPgConnection, startTestApp, type TestApp } from '../../helpers/test-app.js';
import { sql } from '../runner/runner-fixture.js';

// A plugin transform end to end: PLUGIN_DIR loaded at start, listed by the API, validated like a
// built-in, run by the worker's Piscina threads (which load the directory themselves) over real
// Postgres — and no way to upload one through the API.

const GOOD = fileURLToPath(new URL('../../fixtures/plugins/good', import.meta.url));
let data: TestDatabase;
let app: TestApp;

test.before(async () => {
  data = await createTestDatabase('synqx_plug');
  await sql(
    data,
    `CREATE TABLE people (id int PRIMARY KEY, name text, city text);
     INSERT INTO people SELECT g, CASE WHEN g % 7 = 0 THEN NULL ELSE 'person ' || g END, 'c' || g % 5 FROM generate_series(1, 20000) g;`,
  );
  app = await startTestApp({
    store: 'postgres',
    pluginDir: GOOD,
    runner: (deps) => engineRunnerFactory({ masterPassword: 'test-master-password', transformThreads: 2, pluginDir: GOOD })(deps),
  });
});
test.after.always(async () => {
  await app?.close();
  await data?.drop();
});

async function pipelineWith(transform: { operator_class: string; config: unknown }, name: string) {
  const conn = await createPgConnection(app, data.name, `data ${name}`);
  const src = await createAsset(app, conn, 'people');
  const dst = await createAsset(app, conn, name, true);
  return app.api('POST', '/api/v1/pipelines', {
    name,
    initial_version: {
      nodes: [
        { node_id: 'read', name: 'read', operator_type: 'extract', operator_class: 'postgresql', source_asset_id: src, order_index: 1 },
        { node_id: 'shape', name: 'shape', operator_type: 'transform', order_index: 2, ...transform },
        { node_id: 'write', name: 'write', operator_type: 'load', operator_class: 'postgresql', destination_asset_id: dst, order_index: 3 },
      ],
      edges: [
        { from_node_id: 'read', to_node_id: 'shape' },
        { from_node_id: 'shape', to_node_id: 'write' },
      ],
    },
  });
}

test('GET /transforms lists the built-ins and the loaded plugins, marked plugin: true', async (t) => {
  const res = await app.api('GET', '/api/v1/transforms');
  t.is(res.status, 200, res.text);
  const byName = new Map((res.body.transforms as any[]).map((x) => [x.name, x]));
  t.like(byName.get('upper_case'), { plugin: true, operator_types: ['transform'], inputs: 'one', description: 'Upper-cases the text column `column`; NULL stays NULL' });
  t.like(byName.get('pass_or_drop'), { plugin: true });
  t.like(byName.get('filter'), { plugin: false });
  const doc = (await app.api('GET', '/openapi.json')).body;
  t.truthy(doc.components.schemas['TransformConfig.upper_case'], 'a plugin config is published too (any JSON object)');
});

test('plugins cannot be uploaded: no such route, and the OpenAPI document has none', async (t) => {
  for (const [method, path] of [
    ['POST', '/api/v1/transforms'],
    ['PUT', '/api/v1/transforms/upper_case'],
    ['PATCH', '/api/v1/transforms/upper_case'],
    ['DELETE', '/api/v1/transforms/upper_case'],
    ['POST', '/api/v1/plugins'],
    ['PUT', '/api/v1/plugins/upper_case'],
    ['POST', '/api/v1/transforms/upload'],
  ] as const) {
    const res = await app.api(method, path, { name: 'evil', source: 'export function transform(b) { return b }' });
    t.true(res.status === 404 || res.status === 405, `${method} ${path}: ${res.status}`);
  }
  const doc = (await app.api('GET', '/openapi.json')).body;
  const paths = Object.keys(doc.paths);
  t.false(paths.some((p) => /plugin/i.test(p)), paths.join(' '));
  t.deepEqual(Object.keys(doc.paths['/api/v1/transforms']), ['get']);
  t.false(paths.some((p) => p.startsWith('/api/v1/transforms/')));
});

test("a plugin node's config is checked by the plugin's validate when the pipeline is saved (422, every problem)", async (t) => {
  const res = await pipelineWith({ operator_class: 'upper_case', config: { colum: 'name' } }, 'bad_plugin_config');
  t.is(res.status, 422, res.text);
  const messages = (res.body.error.details as any[]).map((p) => `${p.field}: ${p.message}`);
  t.true(messages.some((m) => /config: `column` must be a non-empty string/.test(m)), messages.join('; '));
  t.true(messages.some((m) => /config: unknown key "colum"/.test(m)), messages.join('; '));
});

test('a pipeline using the plugin runs on the worker threads; the destination holds the upper-cased rows', async (t) => {
  const p = await pipelineWith({ operator_class: 'upper_case', config: { column: 'name' } }, 'people_upper');
  t.is(p.status, 201, p.text);
  const run = await app.api('POST', `/api/v1/pipelines/${p.body.id}/run?wait=true`);
  t.is(run.body.status, 'success', run.text);
  const diff = await sql<{ n: number }>(
    data,
    `SELECT count(*)::int AS n FROM people p FULL JOIN people_upper u USING (id)
     WHERE u.id IS NULL OR p.id IS NULL OR u.name IS DISTINCT FROM upper(p.name) OR u.city IS DISTINCT FROM p.city`,
  );
  t.is(diff[0]!.n, 0);
  const total = await sql<{ n: number; nulls: number }>(data, 'SELECT count(*)::int AS n, count(*) FILTER (WHERE name IS NULL)::int AS nulls FROM people_upper');
  t.deepEqual(total[0], { n: 20000, nulls: Math.floor(20000 / 7) });
  const r = await app.api('GET', `/api/v1/runs/${run.body.run_id}`);
  t.like((r.body.step_runs as any[]).find((s) => s.node_key === 'shape'), { status: 'success', records_in: 20000, records_out: 20000 });
});

test('a plugin that throws fails the run with TRANSFORM_ERROR naming the plugin', async (t) => {
  const p = await pipelineWith({ operator_class: 'pass_or_drop', config: { fail: true } }, 'people_fail');
  t.is(p.status, 201, p.text);
  const run = await app.api('POST', `/api/v1/pipelines/${p.body.id}/run?wait=true`);
  t.is(run.body.status, 'failed', run.text);
  const r = await app.api('GET', `/api/v1/runs/${run.body.run_id}`);
  t.regex(r.body.error_message, /plugin pass_or_drop threw: asked to fail/);
});
