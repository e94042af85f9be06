import type { NodeDefinition } from '../../../src/core/pipeline.js';
import { createLogger, type Logger } from '../../../src/platform/logger.js';
import { ConnectionService } from '../../../src/services/connection-service.js';
import { admit } from '../../../src/services/job-admission.js';
import { createPipelineRunner, type PipelineRunner } from '../../../src/services/pipeline-runner.js';
import { PipelineService } from '../../../src/services/pipeline-service.js';
import { runRepo, type JobRow, type LogRow, type RunRow, type StepRunRow } from '../../../src/store/repos/run-repo.js';
import { createTestDatabase, pgConnectionConfig, withClient, type TestDatabase } from '../../helpers/pg.js';
import { openTestStore, type StoreKind, type TestStore } from '../../helpers/stores.js';

/**
 * A metadata store, a source and a destination database, the connection/pipeline services over
 * them, and the engine runner: what one runner test file needs, built through the services the
 * API uses (so assets and pipelines are validated as users' are).
 */
export interface RunnerFixture {
  store: TestStore;
  src: TestDatabase;
  dst: TestDatabase;
  connections: ConnectionService;
  pipelines: PipelineService;
  runner: PipelineRunner;
  logs: string[];
  srcConnectionId: number;
  dstConnectionId: number;
  close(): Promise<void>;
}

export async function openRunnerFixture(kind: StoreKind = 'postgres'): Promise<RunnerFixture> {
  const store = await openTestStore(kind);
  const src = await createTestDatabase('synqx_rs');
  const dst = await createTestDatabase('synqx_rd');
  const logs: string[] = [];
  const logger: Logger = createLogger({ level: 'debug', json: true, destination: { write: (l: string) => void logs.push(l) } });
  const deps = { db: store.db, logger, config: { masterPassword: 'runner-test-password' } };
  const connections = await ConnectionService.create(deps);
  const pipelines = new PipelineService(deps);
  const runner = createPipelineRunner({ db: store.db, logger, connections, pipelines, saltSecret: deps.config.masterPassword, progressIntervalMs: 50 });
  const conn = async (name: string, db: TestDatabase) => {
    const c = await connections.createConnection({
      name,
      connector_type: 'postgresql',
      config: { ...pgConnectionConfig(db.name), password: 'not-needed-trust-auth' },
    });
    return c.id;
  };
  return {
    store,
    src,
    dst,
    connections,
    pipelines,
    runner,
    logs,
    srcConnectionId: await conn('source-db', src),
    dstConnectionId: await conn('destination-db', dst),
    async close() {
      await store.close();
      await src.drop();
      await dst.drop();
    },
  };
}

let seq = 0;

export async function sourceAsset(f: RunnerFixture, name: string, config: Record<string, unknown> = {}): Promise<number> {
  return (await f.connections.assets.create(f.srcConnectionId, { name, is_source: true, config })).id;
}

export async function destinationAsset(f: RunnerFixture, name: string, config: Record<string, unknown> = {}): Promise<number> {
  return (await f.connections.assets.create(f.dstConnectionId, { name, is_source: false, is_destination: true, config })).id;
}

type NodeSpec = Partial<NodeDefinition> & Pick<NodeDefinition, 'node_id' | 'operator_type' | 'operator_class'>;

/** Creates a pipeline (version 1 published) through the service; nodes get order_index by position. */
export async function createPipeline(f: RunnerFixture, nodes: NodeSpec[], edges: [string, string][], maxRetries = 0): Promise<number> {
  const data = {
    name: `runner-${++seq}`,
    schedule_enabled: false,
    schedule_timezone: 'UTC',
    max_parallel_runs: 1,
    priority: 5,
    initial_version: {
      config_snapshot: {},
      nodes: nodes.map((n, i) => ({ name: n.node_id, config: {}, order_index: i + 1, max_retries: maxRetries, ...n })),
      edges: edges.map(([from, to]) => ({ from_node_id: from, to_node_id: to, edge_type: 'data_flow' })),
    },
  };
  const p = await f.pipelines.create({ raw: data, data, problems: [] });
  return p.id;
}

/** Admits a job the way a trigger does (job + run row with its run_number), without queueing it. */
export async function admitJob(f: RunnerFixture, pipelineId: number): Promise<{ job: JobRow; run: RunRow }> {
  return f.store.db.transaction((tx) => admit(tx, { pipelineId, triggerType: 'manual', payload: {} }));
}

export interface RunRecord {
  run: RunRow;
  steps: Map<string, StepRunRow>;
  stepLogs: Map<string, string[]>;
  jobLogs: LogRow[];
}

export async function runRecord(f: RunnerFixture, jobId: number): Promise<RunRecord> {
  const db = f.store.db;
  const run = (await runRepo.getRunByJob(db, jobId))!;
  const rows = await runRepo.stepsOfRun(db, run.id);
  const steps = new Map(rows.map((s) => [s.node_key, s]));
  const stepLogs = new Map<string, string[]>();
  for (const s of rows) stepLogs.set(s.node_key, (await runRepo.stepLogs(db, s.id)).map((l) => l.message));
  return { run, steps, stepLogs, jobLogs: await runRepo.jobLogs(db, jobId) };
}

export const sql = <T extends Record<string, unknown> = Record<string, unknown>>(db: TestDatabase, text: string, params: unknown[] = []) =>
  withClient(db.url, async (c) => (await c.query<T>(text, params)).rows);

/** The rows of a table as text, ordered by its first column, for exact comparisons. */
export const tableText = async (db: TestDatabase, table: string): Promise<string[]> =>
  (await sql<{ t: string }>(db, `SELECT t::text AS t FROM ${table} t ORDER BY 1`)).map((r) => r.t);

export const ctx = (attempt = 1) => ({ workerId: 'test-worker', attempt });
