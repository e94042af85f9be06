import type { DispatchServices } from '../../services/dispatch-services.js';
import { defineRoute, type RouteSpec } from '../route.js';
import { errorSchema } from '../schemas/pipeline-schemas.js';
import { idParams, logQuery, runDetailSchema, runListQuery, runListSchema, stepListSchema, stepLogsSchema, stepParams } from '../schemas/run-schemas.js';

const tags = ['runs'];
const notFound = { description: 'no such run or step', schema: errorSchema };

export function runRoutes(services: DispatchServices): RouteSpec[] {
  const runs = services.runs;
  return [
    defineRoute({
      method: 'get',
      path: '/runs',
      summary: 'Pipeline runs, newest first, filtered by pipeline and status',
      tags,
      query: runListQuery,
      responses: { 200: { description: 'a page of runs', schema: runListSchema } },
      handler: async ({ query }) => ({ body: await runs.listRuns({ pipelineId: query.pipeline_id, status: query.status, limit: query.limit, offset: query.offset }) }),
    }),
    defineRoute({
      method: 'get',
      path: '/runs/:id',
      summary: 'One run with its step runs in order_index order',
      tags,
      params: idParams,
      responses: { 200: { description: 'the run', schema: runDetailSchema }, 404: notFound },
      handler: async ({ params }) => ({ body: await runs.getRun(params.id) }),
    }),
    defineRoute({
      method: 'get',
      path: '/runs/:id/steps',
      summary: 'Step runs of a run (counters, status, timings) in order_index order',
      tags,
      params: idParams,
      responses: { 200: { description: 'steps', schema: stepListSchema }, 404: notFound },
      handler: async ({ params }) => ({ body: await runs.runSteps(params.id) }),
    }),
    defineRoute({
      method: 'get',
      path: '/runs/:rid/steps/:sid/logs',
      summary: 'Log lines of one step run, oldest first',
      tags,
      params: stepParams,
      query: logQuery,
      responses: { 200: { description: 'log lines', schema: stepLogsSchema }, 404: notFound },
      handler: async ({ params, query }) => ({ body: await runs.stepLogs(params.rid, params.sid, { level: query.level, afterId: query.after_id, limit: query.limit }) }),
    }),
  ];
}
