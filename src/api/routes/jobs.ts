import { Readable } from 'node:stream';
import { formatSse } from '../../services/job-events.js';
import type { DispatchServices } from '../../services/dispatch-services.js';
import { defineRoute, type RouteSpec } from '../route.js';
import { errorSchema } from '../schemas/pipeline-schemas.js';
import {
  cancelBody,
  cancelSchema,
  idParams,
  jobDetailSchema,
  jobListQuery,
  jobListSchema,
  jobLogsSchema,
  logQuery,
  queuedSchema,
  retryBody,
  sseDescription,
} from '../schemas/run-schemas.js';

const tags = ['jobs'];
const notFound = { description: 'no such job', schema: errorSchema };

export function jobRoutes(services: DispatchServices): RouteSpec[] {
  const runs = services.runs;
  return [
    defineRoute({
      method: 'get',
      path: '/jobs',
      summary: 'Jobs, newest first, filtered by pipeline and status',
      tags,
      query: jobListQuery,
      responses: { 200: { description: 'a page of jobs', schema: jobListSchema } },
      handler: async ({ query }) => ({ body: await runs.listJobs({ pipelineId: query.pipeline_id, status: query.status, limit: query.limit, offset: query.offset }) }),
    }),
    defineRoute({
      method: 'get',
      path: '/jobs/:id',
      summary: 'One job: state, attempts, worker, timestamps, its run, and retries made of it',
      tags,
      params: idParams,
      responses: { 200: { description: 'the job', schema: jobDetailSchema }, 404: notFound },
      handler: async ({ params }) => ({ body: await runs.getJob(params.id) }),
    }),
    defineRoute({
      method: 'get',
      path: '/jobs/:id/logs',
      summary: 'Log lines of a job (every state transition, retries, cancel requests, runner lines), oldest first',
      tags,
      params: idParams,
      query: logQuery,
      responses: { 200: { description: 'log lines', schema: jobLogsSchema }, 404: notFound },
      handler: async ({ params, query }) => ({ body: await runs.jobLogs(params.id, { level: query.level, afterId: query.after_id, limit: query.limit }) }),
    }),
    defineRoute({
      method: 'post',
      path: '/jobs/:id/cancel',
      summary: 'Cancel a job: at once when it has not started (200), else the worker running it stops within seconds (202)',
      tags,
      params: idParams,
      body: cancelBody,
      responses: {
        200: { description: 'cancelled', schema: cancelSchema },
        202: { description: 'cancel requested; the job ends cancelled shortly', schema: cancelSchema },
        404: notFound,
        409: { description: 'the job has already finished', schema: errorSchema },
      },
      handler: async ({ params, body }) => {
        const r = await runs.cancel(params.id, body.reason);
        return { status: r.status === 'cancelled' ? 200 : 202, body: r };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/jobs/:id/retry',
      summary: 'Run a failed or cancelled job again, as a new job linked to it (same pinned version)',
      tags,
      params: idParams,
      body: retryBody,
      responses: {
        202: { description: 'the new job is queued', schema: queuedSchema },
        404: notFound,
        409: { description: 'the job is still active, succeeded (without force), or max_parallel_runs is reached', schema: errorSchema },
      },
      handler: async ({ params, body }) => {
        const a = await runs.retry(params.id, body.force);
        return {
          status: 202,
          body: {
            status: 'queued',
            message: `job ${a.job.id} queued as a retry of job ${params.id}`,
            job_id: a.job.id,
            run_id: a.run.id,
            pipeline_id: a.pipeline.id,
            version_id: a.version.id,
            retry_of_job_id: params.id,
          },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/jobs/:id/events',
      summary: 'Live feed of a job as Server-Sent Events: state changes, log lines, rows per second; ends with the outcome',
      description: sseDescription,
      tags,
      params: idParams,
      responses: { 200: { description: sseDescription }, 404: notFound },
      handler: async ({ params, ctx }) => {
        const ac = new AbortController();
        const lastId = Number(ctx.get('last-event-id'));
        const feed = await runs.events(params.id, ac.signal, Number.isSafeInteger(lastId) && lastId > 0 ? lastId : undefined);
        const body = Readable.from(
          (async function* () {
            try {
              for await (const e of feed) yield formatSse(e);
            } finally {
              ac.abort();
            }
          })(),
        );
        body.once('close', () => ac.abort());
        ctx.req.socket.setTimeout(0);
        ctx.req.socket.setNoDelay(true);
        return {
          status: 200,
          body,
          headers: { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache, no-transform', 'X-Accel-Buffering': 'no' },
        };
      },
    }),
  ];
}
