import { TransformPool } from '../engine/runtime/transform-pool.js';
import type { AppConfig } from '../platform/config.js';
import type { RunnerFactory } from '../scheduler/processes.js';
import { ConnectionService } from '../services/connection-service.js';
import { createPipelineRunner } from '../services/pipeline-runner.js';
import { PipelineService } from '../services/pipeline-service.js';

/**
 * The JobRunner every worker uses: the data-plane engine over this process's vault and pipelines.
 * Transforms run on one Piscina pool shared by all jobs of the process (threads start on first use
 * and end with the process).
 */
export function engineRunnerFactory(config: Pick<AppConfig, 'masterPassword' | 'transformThreads'>): RunnerFactory {
  return async ({ db, logger }) => {
    const deps = { db, config, logger };
    const connections = await ConnectionService.create(deps);
    const pipelines = new PipelineService(deps);
    const pool = new TransformPool(config.transformThreads === 0 ? { mode: 'inline' } : { mode: 'threads', threads: config.transformThreads });
    return createPipelineRunner({ db, logger, connections, pipelines, pool });
  };
}
