import test from 'ava';
import type { VersionDefinition } from '../../../src/core/pipeline.js';
import type { Queryable } from '../../../src/store/db.js';
import { pipelineRepo } from '../../../src/store/repos/pipeline-repo.js';
import { pipelineVersionRepo } from '../../../src/store/repos/pipeline-version-repo.js';
import { openTestStore, STORE_KINDS } from '../../helpers/stores.js';

const basePipeline = {
  name: 'Users backup',
  description: null,
  schedule_cron: '0 0 * * *',
  schedule_enabled: true,
  schedule_timezone: 'UTC',
  max_parallel_runs: 1,
  execution_timeout_seconds: null,
  tags: { team: 'data' },
  priority: 5,
};

const node = (node_id: string, operator_type: 'extract' | 'load' | 'transform', order_index: number, extra = {}) => ({
  node_id,
  name: node_id,
  operator_type,
  operator_class: operator_type === 'transform' ? 'noop' : 'postgresql',
  config: {},
  order_index,
  max_retries: 3,
  ...extra,
});

async function seedAssets(q: Queryable): Promise<{ live: number; deleted: number; onDeletedConnection: number }> {
  await q.query(`INSERT INTO vault_keys (key_id, salt, check_value) VALUES ('k1', '\\x00', 'x')`);
  const c1 = (await q.query<{ id: number }>(`INSERT INTO connections (name, connector_type, config_encrypted, key_id) VALUES ('pg', 'postgresql', 'sealed', 'k1') RETURNING id`)).rows[0]!.id;
  const c2 = (await q.query<{ id: number }>(`INSERT INTO connections (name, connector_type, config_encrypted, key_id, deleted_at) VALUES ('gone', 'postgresql', 'sealed', 'k1', now()) RETURNING id`)).rows[0]!.id;
  const asset = async (conn: number, name: string, deleted = false) =>
    (await q.query<{ id: number }>(
      `INSERT INTO assets (connection_id, name, fully_qualified_name, is_source, is_destination, deleted_at) VALUES ($1, $2, $3, true, true, ${deleted ? 'now()' : 'NULL'}) RETURNING id`,
      [conn, name, `public.${name}`],
    )).rows[0]!.id;
  return { live: await asset(c1, 'users'), deleted: await asset(c1, 'old', true), onDeletedConnection: await asset(c2, 'orphan') };
}

for (const kind of STORE_KINDS) {
  test(`${kind}: versions are numbered 1, 2, … with nodes and edges in one transaction; publish moves the flag and current_version_id`, async (t) => {
    const store = await openTestStore(kind);
    t.teardown(() => store.close());
    const { db } = store;
    const assets = await seedAssets(db);
    const v1: VersionDefinition = {
      config_snapshot: { a: 1 },
      change_summary: { note: 'first' },
      version_notes: 'v1',
      nodes: [node('load_backup', 'load', 2, { destination_asset_id: assets.live }), node('extract_users', 'extract', 1, { source_asset_id: assets.live })],
      edges: [{ from_node_id: 'extract_users', to_node_id: 'load_backup', edge_type: 'data_flow' }],
    };
    const { id, version } = await db.transaction(async (tx) => {
      const id = await pipelineRepo.insert(tx, basePipeline);
      const version = await pipelineVersionRepo.create(tx, id, v1);
      await pipelineVersionRepo.publish(tx, id, version.id);
      return { id, version };
    });
    t.is(version.version, 1);
    t.deepEqual(version.nodes.map((n) => n.node_id), ['extract_users', 'load_backup'], 'nodes by order_index');
    t.is(version.nodes[0]!.source_asset_id, assets.live);
    t.deepEqual(version.config_snapshot, { a: 1 });
    t.deepEqual(version.change_summary, { note: 'first' });
    t.is(version.node_count, 2);
    t.is(version.edge_count, 1);

    const p = (await pipelineRepo.get(db, id))!;
    t.is(p.current_version_id, version.id);
    t.is(p.current_version, 1);
    t.is(p.latest_version, 1);
    t.deepEqual(p.tags, { team: 'data' });

    const v2 = await db.transaction(async (tx) => {
      await pipelineRepo.lock(tx, id);
      return pipelineVersionRepo.create(tx, id, {
        ...v1,
        nodes: [...v1.nodes, node('mid', 'transform', 1)],
        edges: [
          { from_node_id: 'extract_users', to_node_id: 'mid', edge_type: 'data_flow' },
          { from_node_id: 'mid', to_node_id: 'load_backup', edge_type: 'data_flow' },
        ],
      });
    });
    t.is(v2.version, 2);
    t.false(v2.is_published);
    t.deepEqual(v2.edges.map((e) => `${e.from_node_id}>${e.to_node_id}`), ['extract_users>mid', 'mid>load_backup'], 'edges in declaration order');
    t.is((await pipelineRepo.get(db, id))!.latest_version, 2);
    t.is((await pipelineVersionRepo.published(db, id))!.id, version.id);

    const published = await db.transaction((tx) => pipelineVersionRepo.publish(tx, id, v2.id));
    t.true(published!.is_published);
    t.truthy(published!.published_at);
    const flags = await db.query<{ version: number; is_published: boolean }>('SELECT version, is_published FROM pipeline_versions WHERE pipeline_id = $1 ORDER BY version', [id]);
    t.deepEqual(flags.rows, [{ version: 1, is_published: false }, { version: 2, is_published: true }]);
    t.is((await pipelineRepo.get(db, id))!.current_version_id, v2.id);
    t.deepEqual((await pipelineVersionRepo.list(db, id)).map((v) => v.version), [2, 1]);

    // Republishing keeps the original published_at.
    const again = await db.transaction((tx) => pipelineVersionRepo.publish(tx, id, v2.id));
    t.is(again!.published_at!.getTime(), published!.published_at!.getTime());
    t.is(await db.transaction((tx) => pipelineVersionRepo.publish(tx, id + 1000, v2.id)), undefined, 'a version of another pipeline');
  });

  test(`${kind}: a failing node insert leaves no half version behind`, async (t) => {
    const store = await openTestStore(kind);
    t.teardown(() => store.close());
    const { db } = store;
    const id = await pipelineRepo.insert(db, { ...basePipeline, schedule_enabled: false, schedule_cron: null });
    await t.throwsAsync(
      db.transaction((tx) =>
        pipelineVersionRepo.create(tx, id, {
          config_snapshot: {},
          nodes: [node('a', 'transform', 0), node('a', 'transform', 1)],
          edges: [],
        }),
      ),
    );
    const n = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM pipeline_versions');
    t.is(n.rows[0]!.n, 0);
  });

  test(`${kind}: names are unique among live pipelines (case-insensitive), free again once archived`, async (t) => {
    const store = await openTestStore(kind);
    t.teardown(() => store.close());
    const { db } = store;
    const id = await pipelineRepo.insert(db, basePipeline);
    const err = await t.throwsAsync(pipelineRepo.insert(db, { ...basePipeline, name: 'USERS BACKUP' }));
    t.is((err as unknown as { code: string }).code, '23505');
    t.true(await pipelineRepo.update(db, id, { status: 'archived' }));
    const again = await pipelineRepo.insert(db, { ...basePipeline, name: 'users backup' });
    t.true(again > id);
    t.false(await pipelineRepo.update(db, 999_999, { name: 'x' }));
  });

  test(`${kind}: list is newest first, hides archived unless asked, filters by name, pages`, async (t) => {
    const store = await openTestStore(kind);
    t.teardown(() => store.close());
    const { db } = store;
    const ids: number[] = [];
    for (const name of ['alpha', 'beta', 'gamma', 'alphabet']) ids.push(await pipelineRepo.insert(db, { ...basePipeline, name }));
    await pipelineRepo.update(db, ids[1]!, { status: 'archived' });
    const all = await pipelineRepo.list(db, { limit: 100, offset: 0 });
    t.is(all.total, 3);
    t.deepEqual(all.rows.map((r) => r.name), ['alphabet', 'gamma', 'alpha']);
    const page = await pipelineRepo.list(db, { limit: 1, offset: 1 });
    t.is(page.total, 3);
    t.deepEqual(page.rows.map((r) => r.name), ['gamma']);
    t.deepEqual((await pipelineRepo.list(db, { limit: 10, offset: 0, search: 'ALPHA' })).rows.map((r) => r.name), ['alphabet', 'alpha']);
    t.deepEqual((await pipelineRepo.list(db, { limit: 10, offset: 0, status: 'archived' })).rows.map((r) => r.name), ['beta']);
    t.deepEqual((await pipelineRepo.listScheduled(db)).map((r) => r.name).sort(), ['alpha', 'alphabet', 'gamma']);
  });

  test(`${kind}: asset lookup flags missing, deleted and orphaned assets`, async (t) => {
    const store = await openTestStore(kind);
    t.teardown(() => store.close());
    const a = await seedAssets(store.db);
    const found = await pipelineRepo.findAssets(store.db, [a.live, a.deleted, a.onDeletedConnection, 424242, a.live]);
    const byId = new Map(found.map((r) => [r.id, r]));
    t.is(found.length, 3);
    t.like(byId.get(a.live), { asset_deleted: false, connection_deleted: false, connector_type: 'postgresql', name: 'users' });
    t.like(byId.get(a.deleted), { asset_deleted: true, connection_deleted: false });
    t.like(byId.get(a.onDeletedConnection), { asset_deleted: false, connection_deleted: true });
    t.deepEqual(await pipelineRepo.findAssets(store.db, []), []);
  });

  test(`${kind}: run totals are zeros with no runs, and add up once jobs and runs exist`, async (t) => {
    const store = await openTestStore(kind);
    t.teardown(() => store.close());
    const { db } = store;
    const assets = await seedAssets(db);
    const id = await db.transaction(async (tx) => {
      const id = await pipelineRepo.insert(tx, basePipeline);
      const v = await pipelineVersionRepo.create(tx, id, {
        config_snapshot: {},
        nodes: [node('e', 'extract', 0, { source_asset_id: assets.live }), node('l', 'load', 1, { destination_asset_id: assets.live })],
        edges: [{ from_node_id: 'e', to_node_id: 'l', edge_type: 'data_flow' }],
      });
      await pipelineVersionRepo.publish(tx, id, v.id);
      return id;
    });
    const zero = await pipelineRepo.runTotals(db, id);
    t.deepEqual(zero, {
      total_runs: 0, successful_runs: 0, failed_runs: 0, cancelled_runs: 0, active_runs: 0, runs_by_status: {},
      first_run_at: null, last_run_at: null, last_run_status: null,
      average_duration_seconds: null, min_duration_seconds: null, max_duration_seconds: null,
      total_records_extracted: 0, total_records_loaded: 0, total_records_failed: 0, total_bytes_processed: 0,
    });
    const vid = (await pipelineRepo.get(db, id))!.current_version_id!;
    const runs: Array<[string, string, number, number, number]> = [
      ['success', 'completed', 10, 100, 100],
      ['success', 'completed', 20, 50, 50],
      ['failed', 'failed', 99, 7, 0],
      ['running', 'running', 0, 0, 0],
    ];
    let n = 0;
    for (const [jobStatus, runStatus, duration, extracted, loaded] of runs) {
      n++;
      const job = (await db.query<{ id: number }>(
        `INSERT INTO jobs (pipeline_id, pipeline_version_id, status, created_at) VALUES ($1, $2, $3, now() + make_interval(secs => $4)) RETURNING id`,
        [id, vid, jobStatus, n],
      )).rows[0]!.id;
      await db.query(
        `INSERT INTO pipeline_runs (job_id, pipeline_id, pipeline_version_id, run_number, status, total_extracted, total_loaded, duration_seconds)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [job, id, vid, n, runStatus, extracted, loaded, runStatus === 'running' ? null : duration],
      );
    }
    const totals = await pipelineRepo.runTotals(db, id);
    t.like(totals, {
      total_runs: 4, successful_runs: 2, failed_runs: 1, cancelled_runs: 0, active_runs: 1,
      average_duration_seconds: 15, min_duration_seconds: 10, max_duration_seconds: 20,
      total_records_extracted: 157, total_records_loaded: 150, last_run_status: 'running',
    });
    t.deepEqual(totals.runs_by_status, { success: 2, failed: 1, running: 1 });
    t.true(totals.last_run_at instanceof Date);
  });
}
