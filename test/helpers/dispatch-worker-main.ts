/**
 * A real SynqX worker process for cross-process tests (started with `node --import tsx`). With
 * REDIS_URL it is exactly `synqx worker` (startWorkerProcess); without, an embedded process that
 * also triggers TRIGGER_COUNT runs of TRIGGER_PIPELINE_ID (crash tests). SIGTERM drains. Prints JSON lines.
 */
import { runWorker, startWorkerProcess, type WorkerProcessHandle } from '../../src/bin/processes.js';
import { loadConfig } from '../../src/platform/config.js';
import { createLogger } from '../../src/platform/logger.js';
import { createDispatch } from '../../src/scheduler/dispatch.js';
import { loadDispatchConfig } from '../../src/scheduler/dispatch-config.js';
import { DispatchServiceFactory } from '../../src/services/dispatch-service-factory.js';
import { PgDb } from '../../src/store/pg-db.js';
import { ScriptedJobRunner } from './scripted-job-runner.js';

const say = (o: Record<string, unknown>) => process.stdout.write(JSON.stringify(o) + '\n');
const env = process.env;
const logger = createLogger({ level: env.LOG_LEVEL ?? 'warn', json: true, destination: { write: (l: string) => void process.stderr.write(l) } });

async function start(): Promise<WorkerProcessHandle> {
  if (env.REDIS_URL) {
    return startWorkerProcess(loadConfig(env), logger, ({ db }) => new ScriptedJobRunner(db), env);
  }
  const db = new PgDb({ connectionString: env.DATABASE_URL!, max: 4 });
  const dispatch = await createDispatch({ serviceFactory: new DispatchServiceFactory(db), logger, config: loadDispatchConfig(env, undefined) });
  const worker = await runWorker(db, dispatch, new ScriptedJobRunner(db));
  for (let i = 0; i < Number(env.TRIGGER_COUNT ?? (env.TRIGGER_PIPELINE_ID ? 1 : 0)); i++) {
    const a = await dispatch.runs.trigger(Number(env.TRIGGER_PIPELINE_ID), { triggerType: 'cli', runParams: JSON.parse(env.RUN_PARAMS ?? '{}') });
    say({ triggered: a.job.id });
  }
  return worker;
}

const running = await start();
say({ ready: true, workerId: running.workerId, pid: process.pid });
let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  say({ draining: running.inFlight() });
  void running.close().then(() => {
    say({ closed: true });
    process.exit(0);
  });
});
