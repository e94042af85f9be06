import type { Admitted } from '../../services/job-admission.js';
import type { DispatchServices } from '../../services/dispatch-services.js';
import type { RunService } from '../../services/run-service.js';
import { defineRoute, type RouteResult, type RouteSpec } from '../route.js';
import { errorSchema } from '../schemas/pipeline-schemas.js';
import { firingListSchema, firingQuery, idParams, queuedSchema, runNowBody, runNowQuery, triggerBody } from '../schemas/run-schemas.js';

const tags = ['runs'];
const notFound = { description: 'no such pipeline or version', schema: errorSchema };
const refused = {
  description: 'max_parallel_runs reached (details.running_job_id names the running job), archived pipeline, or no published version',
  schema: errorSchema,
};
const unavailable = { description: 'the queue is not reachable or full; nothing was queued', schema: errorSchema };

/** The finished job `runs.waitForEnd` answers. */
type EndedJob = NonNullable<Awaited<ReturnType<RunService['waitForEnd']>>>;

function describeEnd(job: EndedJob): string {
  if (job.status === 'success') return `job ${job.id} succeeded`;
  if (job.status === 'cancelled') return `job ${job.id} was cancelled: ${job.cancel_reason ?? job.error_message ?? 'cancelled'}`;
  return `job ${job.id} failed: ${job.error_message ?? 'unknown error'}`;
}

/** 202 right away, or (waiting) 200 once the job finished, 202 when it is still going at the timeout. */
async function answer(runs: RunService, a: Admitted, wait: boolean, timeoutSeconds: number, signal: AbortSignal): Promise<RouteResult> {
  const base = { job_id: a.job.id, run_id: a.run.id, pipeline_id: a.pipeline.id, version_id: a.version.id, retry_of_job_id: a.job.retry_of_job_id };
  if (!wait) return { status: 202, body: { status: 'queued', message: `job ${a.job.id} queued (run ${a.run.run_number} of pipeline ${a.pipeline.id})`, ...base } };
  const done = await runs.waitForEnd(a.job.id, timeoutSeconds * 1000, signal);
  if (done) return { status: 200, body: { status: done.status, message: describeEnd(done), ...base } };
  const now = await runs.getJob(a.job.id);
  return { status: 202, body: { status: now.status, message: `job ${a.job.id} is still ${now.status} after ${timeoutSeconds} s; follow GET /jobs/${a.job.id}`, ...base } };
}

/** Aborted when the client goes away, so a waiting request stops polling. */
function clientGone(ctx: { req: NodeJS.EventEmitter }): AbortSignal {
  const ac = new AbortController();
  ctx.req.once('close', () => ac.abort());
  return ac.signal;
}

export function triggerRoutes(services: DispatchServices): RouteSpec[] {
  const { runs, schedules } = services;
  return [
    defineRoute({
      method: 'post',
      path: '/pipelines/:id/run',
      summary: 'Queue a run of the published version (202); with ?wait=true answer when it has finished',
      description: 'The run pins the exact version it executes. Refused with 409 when max_parallel_runs active jobs exist.',
      tags,
      params: idParams,
      query: runNowQuery,
      body: runNowBody,
      responses: {
        200: { description: 'waited: the job finished (status success, failed or cancelled)', schema: queuedSchema },
        202: { description: 'queued (or, waiting, still running at the timeout)', schema: queuedSchema },
        404: notFound,
        409: refused,
        503: unavailable,
      },
      handler: async ({ params, query, body, ctx }) => {
        const a = await runs.trigger(params.id, { versionId: body.version_id, runParams: body.run_params, triggerType: 'manual' });
        return answer(runs, a, query.wait ?? false, query.timeout_seconds, clientGone(ctx));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/pipelines/:id/trigger',
      summary: 'Trigger a run with a version and parameters; async_execution=false waits for the end',
      tags,
      params: idParams,
      body: triggerBody,
      responses: {
        200: { description: 'waited: the job finished', schema: queuedSchema },
        202: { description: 'queued', schema: queuedSchema },
        404: notFound,
        409: refused,
        503: unavailable,
      },
      handler: async ({ params, body, ctx }) => {
        const a = await runs.trigger(params.id, { versionId: body.version_id, runParams: body.run_params, triggerType: 'api' });
        return answer(runs, a, !body.async_execution, body.timeout_seconds, clientGone(ctx));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/pipelines/:id/firings',
      summary: 'Schedule firings of a pipeline, newest slot first: which slot, which job, or why it was skipped',
      tags,
      params: idParams,
      query: firingQuery,
      responses: { 200: { description: 'firings', schema: firingListSchema }, 404: notFound },
      handler: async ({ params, query }) => ({ body: await schedules.firings(params.id, query.limit) }),
    }),
  ];
}
