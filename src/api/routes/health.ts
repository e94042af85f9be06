import { z } from 'zod';
import type { Services } from '../../services/container.js';
import { defineRoute, type RouteSpec } from '../route.js';

const healthSchema = z.object({
  status: z.enum(['healthy', 'degraded']),
  database: z.enum(['connected', 'disconnected']),
  redis: z.enum(['connected', 'disconnected', 'not_configured']),
  store: z.enum(['postgres', 'pglite']),
  version: z.string(),
  timestamp: z.string(),
  problems: z.array(z.object({ dependency: z.string(), message: z.string() })),
});

export function healthRoutes(services: Services): RouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/health',
      summary: 'Service health: 200 when every dependency answers, 503 (degraded) naming the one that does not',
      tags: ['health'],
      public: true,
      responses: { 200: { description: 'healthy', schema: healthSchema }, 503: { description: 'degraded', schema: healthSchema } },
      handler: async () => {
        const report = await services.health.check();
        return { status: report.status === 'healthy' ? 200 : 503, body: report };
      },
    }),
  ];
}
