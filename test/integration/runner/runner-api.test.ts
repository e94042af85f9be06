import test from 'ava';
import { createTestDatabase, pgConnectionConfig, type TestDatabase } from '../../helpers/pg.js';
import { STORE_KINDS } from '../../helpers/stores.js';
import { startTestApp, realPipelineRunner } from '../../helpers/test-app.js';
import { sql, tableText } from './runner-fixture.js';

// End to end through the API: the README flow triggered with ?wait=true, executed by the engine runner on an in-process worker.

const PASSWORD = 'runner-api-secret-pw-7431';
let data: TestDatabase;

test.before(async () => {
  data = await createTestDatabase('synqx_ra');
  await sql(
    data,
    `CREATE TABLE users (id int PRIMARY KEY, name text NOT NULL, signed_up date);
     INSERT INTO users SELECT g, 'user ' || g, date '2020-01-01' + g FROM generate_series(1, 5000) g;`,
  );
});
test.after.always(async () => data?.drop());

for (const kind of STORE_KINDS) {
  test.serial(`${kind} store: POST /pipelines/:id/run?wait=true copies users → users_backup; GET /runs/:id shows the step counters`, async (t) => {
    const app = await startTestApp({
      store: kind,
      runner: realPipelineRunner(),
    });
    t.teardown(() => app.close());
    await sql(data, 'DROP TABLE IF EXISTS users_backup');
    const conn = await app.api('POST', '/api/v1/connections', {
      name: 'Default Postgres',
      connector_type: 'postgresql',
      config: { ...pgConnectionConfig(data.name), password: PASSWORD },
    });
    t.is(conn.status, 201, conn.text);
    const src = await app.api('POST', `/api/v1/connections/${conn.body.id}/assets`, { name: 'users' });
    const dst = await app.api('POST', `/api/v1/connections/${conn.body.id}/assets`, { name: 'users_backup', is_destination: true });
    t.is(dst.status, 201, dst.text);
    const p = await app.api('POST', '/api/v1/pipelines', {
      name: 'User Backup Pipeline',
      description: 'Backs up user data daily',
      initial_version: {
        config_snapshot: {},
        nodes: [
          { node_id: 'extract_users', name: 'Extract Users', operator_type: 'extract', operator_class: 'postgresql', source_asset_id: src.body.id, order_index: 1 },
          { node_id: 'load_backup', name: 'Load Backup', operator_type: 'load', operator_class: 'postgresql', destination_asset_id: dst.body.id, order_index: 2 },
        ],
        edges: [{ from_node_id: 'extract_users', to_node_id: 'load_backup' }],
      },
    });
    t.is(p.status, 201, p.text);

    const run = await app.api('POST', `/api/v1/pipelines/${p.body.id}/run?wait=true`);
    t.is(run.status, 200, run.text);
    t.is(run.body.status, 'success', run.text);
    t.deepEqual(await tableText(data, 'users_backup'), await tableText(data, 'users'));

    const got = await app.api('GET', `/api/v1/runs/${run.body.run_id}`);
    t.is(got.status, 200, got.text);
    t.like(got.body, { status: 'completed', total_extracted: 5000, total_loaded: 5000, total_nodes: 2 });
    const steps = Object.fromEntries((got.body.step_runs as { id: number; node_key: string }[]).map((s) => [s.node_key, s]));
    t.like(steps.extract_users, { status: 'success', records_in: 5000, records_out: 5000 });
    t.like(steps.load_backup, { status: 'success', records_in: 5000, records_out: 5000 });

    const stepLogs = await app.api('GET', `/api/v1/runs/${run.body.run_id}/steps/${steps.load_backup!.id}/logs`);
    t.is(stepLogs.status, 200, stepLogs.text);
    t.regex(stepLogs.text, /wrote 5,000 rows to public\.users_backup in /);
    t.false(app.logs.some((l) => l.includes(PASSWORD)), 'the password never reaches the logs');
    t.false(stepLogs.text.includes(PASSWORD));
  });
}
