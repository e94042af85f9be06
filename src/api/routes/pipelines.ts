// PLACEHOLDER — being written by the pipelines helper; replaced wholesale.
import type { Services } from '../../services/container.js';
import type { RouteSpec } from '../route.js';

export function pipelineRoutes(_services: Services): RouteSpec[] {
  return [];
}
