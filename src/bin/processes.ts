import type { AppConfig } from '../platform/config.js';
import type { Logger } from '../platform/logger.js';
import { createDispatch, type Dispatch } from '../scheduler/dispatch.js';
import { loadDispatchConfig, requireSharedStores } from '../scheduler/dispatch-config.js';
import { DispatchServiceFactory } from '../services/dispatch-service-factory.js';
import type { JobRunner } from '../services/job-runner.js';
import type { Db } from '../store/db.js';
import { openMetadataDb } from '../store/open-db.js';

/** Builds the engine-backed JobRunner once the metadata store is open. */
export type RunnerFactory = (deps: { db: Db; logger: Logger }) => JobRunner | Promise<JobRunner>;

export interface ProcessHandle {
  readonly dispatch: Dispatch;
  /** Graceful stop (SIGTERM): stop taking work, drain, close the queue connections and the store. */
  close(): Promise<void>;
}

async function open(app: AppConfig, logger: Logger, env: NodeJS.ProcessEnv): Promise<{ db: Db; dispatch: Dispatch }> {
  const config = loadDispatchConfig(env, app.redisUrl);
  const db = await openMetadataDb(app);
  try {
    return { db, dispatch: await createDispatch({ serviceFactory: new DispatchServiceFactory(db), logger, config }) };
  } catch (err) {
    await db.close().catch(() => {});
    throw err;
  }
}

export interface WorkerProcessHandle extends ProcessHandle {
  readonly workerId: string;
  inFlight(): number[];
}

/** `synqx worker`: runs jobs from the shared queue until close(). */
export async function startWorkerProcess(app: AppConfig, logger: Logger, makeRunner: RunnerFactory, env: NodeJS.ProcessEnv = process.env): Promise<WorkerProcessHandle> {
  requireSharedStores(app, 'worker');
  const { db, dispatch } = await open(app, logger, env);
  return runWorker(db, dispatch, await makeRunner({ db, logger }));
}

/** Starts a worker on `dispatch`; close() stops the worker, then the dispatch, then the store. */
export async function runWorker(db: Db, dispatch: Dispatch, runner: JobRunner): Promise<WorkerProcessHandle> {
  const worker = await dispatch.startWorker({ runner });
  return {
    dispatch,
    workerId: worker.workerId,
    inFlight: () => worker.inFlight(),
    async close() {
      await worker.close();
      await dispatch.close();
      await db.close();
    },
  };
}

/** `synqx scheduler`: fires schedules, watches for stalled jobs and reconciles orphans until close(). */
export async function startSchedulerProcess(app: AppConfig, logger: Logger, env: NodeJS.ProcessEnv = process.env): Promise<ProcessHandle> {
  requireSharedStores(app, 'scheduler');
  const { db, dispatch } = await open(app, logger, env);
  const scheduler = await dispatch.startScheduler();
  return {
    dispatch,
    async close() {
      await scheduler.close();
      await dispatch.close();
      await db.close();
    },
  };
}
