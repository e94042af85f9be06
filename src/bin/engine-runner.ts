import type { AppConfig } from '../platform/config.js';
import type { RunnerFactory } from '../scheduler/processes.js';
import { ConnectionService } from '../services/connection-service.js';
import { createPipelineRunner } from '../services/pipeline-runner.js';
import { PipelineService } from '../services/pipeline-service.js';

/** The JobRunner every worker uses: the data-plane engine over this process's vault and pipelines. */
export function engineRunnerFactory(config: Pick<AppConfig, 'masterPassword'>): RunnerFactory {
  return async ({ db, logger }) => {
    const deps = { db, config, logger };
    const connections = await ConnectionService.create(deps);
    const pipelines = new PipelineService(deps);
    return createPipelineRunner({ db, logger, connections, pipelines });
  };
}
