import { SYNQX_VERSION } from '../core/version.js';
import type { AppConfig } from '../platform/config.js';
import type { Logger } from '../platform/logger.js';
import type { Db } from '../store/db.js';
import { ConnectionService } from './connection-service.js';
import type { DispatchServices } from './dispatch-services.js';
import { HealthService, type RedisProbe } from './health-service.js';
import { PipelineService } from './pipeline-service.js';

export interface Services extends DispatchServices {
  health: HealthService;
  connections: ConnectionService;
  pipelines: PipelineService;
}

export interface ServiceDeps {
  db: Db;
  config: Pick<AppConfig, 'masterPassword'>;
  logger: Logger;
  redis?: RedisProbe;
}

/** Wires the use cases to the store; the only place that knows which implementation backs which port. */
export async function createServices(
  deps: ServiceDeps & {
    /** Trigger, jobs, runs, schedules and metrics, built by the dispatch (BullMQ or in process) of this process. */
    dispatch: DispatchServices;
  },
): Promise<Services> {
  const connections = await ConnectionService.create(deps);
  return {
    health: new HealthService(deps.db, SYNQX_VERSION, deps.redis),
    connections,
    pipelines: new PipelineService(deps),
    runs: deps.dispatch.runs,
    schedules: deps.dispatch.schedules,
    metrics: deps.dispatch.metrics,
  };
}
