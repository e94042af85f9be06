import type { Services } from '../../services/container.js';
import type { RouteSpec } from '../route.js';
import { connectionRoutes } from './connections.js';
import { docsRoutes } from './docs.js';
import { healthRoutes } from './health.js';
import { jobRoutes } from './jobs.js';
import { metricsRoutes } from './metrics.js';
import { pipelineRoutes } from './pipelines.js';
import { runRoutes } from './runs.js';
import { transformRoutes } from './transforms.js';
import { triggerRoutes } from './trigger.js';

export const API_PREFIX = '/api/v1';

/** Every route of the API, in one list: the router mounts it and the OpenAPI document is built from it. */
export function allRoutes(services: Services): RouteSpec[] {
  const api = [
    ...connectionRoutes(services),
    ...pipelineRoutes(services),
    ...triggerRoutes(services),
    ...jobRoutes(services),
    ...runRoutes(services),
    ...transformRoutes(),
  ].map((r) => ({ ...r, path: API_PREFIX + r.path }));
  // Health and metrics answer at the root too: load balancers and Prometheus look there.
  const rootAndPrefixed = [...healthRoutes(services), ...metricsRoutes(services)];
  const routes: RouteSpec[] = [...rootAndPrefixed, ...rootAndPrefixed.map((r) => ({ ...r, path: API_PREFIX + r.path })), ...api];
  return [...routes, ...docsRoutes(() => routes)];
}
