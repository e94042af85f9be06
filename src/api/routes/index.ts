import type { Services } from '../../services/container.js';
import type { RouteSpec } from '../route.js';
import { connectionRoutes } from './connections.js';
import { docsRoutes } from './docs.js';
import { healthRoutes } from './health.js';
import { pipelineRoutes } from './pipelines.js';

export const API_PREFIX = '/api/v1';

/** Every route of the API, in one list: the router mounts it and the OpenAPI document is built from it. */
export function allRoutes(services: Services): RouteSpec[] {
  const api = [...connectionRoutes(services), ...pipelineRoutes(services)].map((r) => ({ ...r, path: API_PREFIX + r.path }));
  const health = healthRoutes(services);
  const withPrefix = health.map((r) => ({ ...r, path: API_PREFIX + r.path }));
  const routes: RouteSpec[] = [...health, ...withPrefix, ...api];
  return [...routes, ...docsRoutes(() => routes)];
}
