// PLACEHOLDER — being written by the connections helper; replaced wholesale.
import type { Services } from '../../services/container.js';
import type { RouteSpec } from '../route.js';

export function connectionRoutes(_services: Services): RouteSpec[] {
  return [];
}
