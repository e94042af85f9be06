import test from 'ava';
import { engineRunnerFactory } from '../../../src/bin/engine-runner.js';
import { pipelineSalt } from '../../../src/services/pipeline-salt.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/pg.js';
import { createAsset, createPgConnection, startTestApp, type TestApp } from '../../helpers/test-app.js';
import { sql } from './runner-fixture.js';

// pii_mask `hash` without a config salt: the runner derives a per-pipeline secret from the master
// password. Same pipeline → same hashes across runs; another pipeline → other hashes; config `salt`
// overrides it; the derived salt shows up nowhere (responses, job logs, server logs). Transforms run
// on worker threads (batches of thousands of rows), so the salt crosses to them with each task.

const MASTER = 'pii-salt-test-master-password';
let data: TestDatabase;
let app: TestApp;
let connId: number;
let srcId: number;

test.before(async () => {
  data = await createTestDatabase('synqx_salt');
  await sql(
    data,
    `CREATE TABLE people (id int PRIMARY KEY, email text);
     INSERT INTO people SELECT g, CASE WHEN g % 11 = 0 THEN NULL ELSE 'user' || g || '@example.com' END FROM generate_series(1, 5000) g;`,
  );
  app = await startTestApp({
    store: 'postgres',
    masterPassword: MASTER,
    runner: (deps) => engineRunnerFactory({ masterPassword: MASTER, transformThreads: 1 })(deps),
  });
  connId = await createPgConnection(app, data.name, 'data');
  srcId = await createAsset(app, connId, 'people');
});
test.after.always(async () => {
  await app?.close();
  await data?.drop();
});

async function maskPipeline(dest: string, config: Record<string, unknown>): Promise<number> {
  const dst = await createAsset(app, connId, dest, true);
  const p = await app.api('POST', '/api/v1/pipelines', {
    name: `mask to ${dest}`,
    initial_version: {
      nodes: [
        { node_id: 'read', name: 'read', operator_type: 'extract', operator_class: 'postgresql', source_asset_id: srcId, order_index: 1 },
        { node_id: 'mask', name: 'mask', operator_type: 'transform', operator_class: 'pii_mask', order_index: 2, config },
        { node_id: 'write', name: 'write', operator_type: 'load', operator_class: 'postgresql', destination_asset_id: dst, order_index: 3 },
      ],
      edges: [
        { from_node_id: 'read', to_node_id: 'mask' },
        { from_node_id: 'mask', to_node_id: 'write' },
      ],
    },
  });
  if (p.status !== 201) throw new Error(p.text);
  return p.body.id;
}

async function run(pipelineId: number): Promise<any> {
  const res = await app.api('POST', `/api/v1/pipelines/${pipelineId}/run?wait=true`);
  if (res.body.status !== 'success') throw new Error(res.text);
  return res.body;
}

const hashes = async (table: string) => (await sql<{ id: number; email: string | null }>(data, `SELECT id, email FROM ${table} ORDER BY id`)).map((r) => `${r.id}:${r.email}`);

/** How many rows of `table` are not SHA-256 hex of `salt` + the source email (computed by Postgres). */
const mismatches = async (table: string, salt: string) =>
  (
    await sql<{ n: number }>(
      data,
      `SELECT count(*)::int AS n FROM people p JOIN ${table} m USING (id)
       WHERE m.email IS DISTINCT FROM encode(sha256(convert_to($1 || p.email, 'UTF8')), 'hex')`,
      [salt],
    )
  )[0]!.n;

const masks = [{ column: 'email', strategy: 'hash' }];

test.serial('without config.salt: the same pipeline hashes the same across runs, another pipeline differently', async (t) => {
  const a = await maskPipeline('masked_a', { masks });
  const b = await maskPipeline('masked_b', { masks });

  const runA1 = await run(a);
  const first = await hashes('masked_a');
  await sql(data, 'TRUNCATE masked_a');
  await run(a);
  const second = await hashes('masked_a');
  t.is(first.length, 5000);
  t.deepEqual(second, first, 'same pipeline, same hashes');

  await run(b);
  const fromB = await hashes('masked_b');
  const differing = fromB.filter((row, i) => row !== first[i] && !row.endsWith(':null'));
  t.is(differing.length, 5000 - Math.floor(5000 / 11), 'every non-NULL hash differs between the two pipelines');
  t.is(fromB.filter((r) => r.endsWith(':null')).length, Math.floor(5000 / 11), 'NULL stays NULL');

  // The hash is the documented one: SHA-256 of HMAC-SHA256(master, "pii-salt:" + id) + value — and not of the bare value.
  const saltA = pipelineSalt(MASTER, a);
  t.is(await mismatches('masked_a', saltA), 0);
  t.is(await mismatches('masked_b', pipelineSalt(MASTER, b)), 0);
  t.is(await mismatches('masked_a', ''), 5000 - Math.floor(5000 / 11));

  // The derived salt is never stored with the pipeline nor shown anywhere.
  const seen = [
    (await app.api('GET', `/api/v1/pipelines/${a}`)).text,
    (await app.api('GET', `/api/v1/pipelines/${a}/versions`)).text,
    (await app.api('GET', `/api/v1/runs/${runA1.run_id}`)).text,
    (await app.api('GET', `/api/v1/jobs/${runA1.job_id}/logs`)).text,
    ...app.logs,
  ].join('\n');
  t.false(seen.includes(saltA));
  const stored = await sql<{ n: number }>(
    { ...data, url: app.store.url! } as TestDatabase,
    "SELECT count(*)::int AS n FROM pipeline_nodes WHERE config::text LIKE '%' || $1 || '%'",
    [saltA],
  ).catch(() => [{ n: -1 }]);
  t.is(stored[0]!.n, 0);
});

test.serial('config.salt is an explicit override of the per-pipeline salt', async (t) => {
  const c = await maskPipeline('masked_c', { masks, salt: 'explicit-salt' });
  await run(c);
  t.is(await mismatches('masked_c', 'explicit-salt'), 0);
  t.is(await mismatches('masked_c', pipelineSalt(MASTER, c)), 5000 - Math.floor(5000 / 11));
});
