import { TransformPool } from '../engine/runtime/transform-pool.js';
import { installPlugins } from '../engine/transforms/plugins.js';
import type { AppConfig } from '../platform/config.js';
import { ConnectionService } from '../services/connection-service.js';
import { createPipelineRunner } from '../services/pipeline-runner.js';
import { PipelineService } from '../services/pipeline-service.js';
import type { RunnerFactory } from './processes.js';

/**
 * The JobRunner every worker uses: the data-plane engine over this process's vault and pipelines.
 * Transforms run on one Piscina pool shared by all jobs of the process (threads start on first use
 * and end with the process). PLUGIN_DIR is installed first: a worker process validates and runs
 * pipelines that may name plugin transforms, and its pool's threads load the same directory.
 */
export function engineRunnerFactory(config: Pick<AppConfig, 'masterPassword' | 'transformThreads'> & Partial<Pick<AppConfig, 'pluginDir' | 'transformWorkerHeapMb'>>): RunnerFactory {
  return async ({ db, logger }) => {
    await installPlugins(config.pluginDir);
    const deps = { db, config, logger };
    const connections = await ConnectionService.create(deps);
    const pipelines = new PipelineService(deps);
    const pool = new TransformPool(config.transformThreads === 0 ? { mode: 'inline' } : { mode: 'threads', threads: config.transformThreads, workerHeapMb: config.transformWorkerHeapMb });
    return createPipelineRunner({ db, logger, connections, pipelines, pool, saltSecret: config.masterPassword });
  };
}
