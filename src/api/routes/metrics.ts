import type { DispatchServices } from '../../services/dispatch-services.js';
import { defineRoute, type RouteSpec } from '../route.js';

/** Mounted at /metrics (where Prometheus looks) and under the API prefix; it needs the bearer token like every non-health route. */
export function metricsRoutes(services: DispatchServices): RouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/metrics',
      summary: 'Prometheus metrics: jobs and runs by status, rows per pipeline and step, run durations, queue depth',
      description: 'text/plain; version=0.0.4 (the Prometheus exposition format)',
      tags: ['metrics'],
      responses: { 200: { description: 'Prometheus text exposition' } },
      handler: async () => ({
        body: await services.metrics.render(),
        headers: { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' },
      }),
    }),
  ];
}
