import type { Services } from '../../services/container.js';
import { isRecord, validationError } from '../../services/pipeline-validation.js';
import { defineRoute, type RouteSpec } from '../route.js';
import {
  checkShape,
  createPipelineBody,
  errorSchema,
  metricsSchema,
  newVersionBody,
  pipelineDetailSchema,
  pipelineIdParams,
  pipelineListQuery,
  pipelineListSchema,
  publishResultSchema,
  statsSchema,
  updatePipelineBody,
  validateRequestBody,
  validationResultSchema,
  versionBody,
  versionDetailSchema,
  versionIdParams,
  versionListSchema,
} from '../schemas/pipeline-schemas.js';

const notFound = { description: 'no such pipeline or version', schema: errorSchema };
const invalid = { description: 'validation failed: every problem, each with its field path', schema: errorSchema };
const conflict = { description: 'name already in use by a live pipeline, or the pipeline is archived', schema: errorSchema };
const tags = ['pipelines'];

// Bodies that are validated as a whole are handed over raw (rawBody), shape-checked here and checked
// for meaning by the service, so one 422 carries shape, graph, asset and schedule problems together.
export function pipelineRoutes(services: Services): RouteSpec[] {
  const pipelines = services.pipelines;
  return [
    defineRoute({
      method: 'post',
      path: '/pipelines',
      summary: 'Create a pipeline with its first version (published at once)',
      description: 'The whole version is validated: graph (cycles, dangling edges, fan-in…), operators, transform configs, assets and schedule.',
      tags,
      body: createPipelineBody,
      rawBody: true,
      responses: { 201: { description: 'created', schema: pipelineDetailSchema }, 409: conflict, 422: invalid },
      handler: async ({ body }) => ({ status: 201, body: await pipelines.create(checkShape(createPipelineBody, body)) }),
    }),
    defineRoute({
      method: 'get',
      path: '/pipelines',
      summary: 'List pipelines, newest first (archived ones only with status=archived)',
      tags,
      query: pipelineListQuery,
      responses: { 200: { description: 'a page of pipelines', schema: pipelineListSchema } },
      handler: async ({ query }) => ({ body: await pipelines.list(query) }),
    }),
    defineRoute({
      method: 'get',
      path: '/pipelines/:id',
      summary: 'One pipeline with its published version (nodes and edges)',
      tags,
      params: pipelineIdParams,
      responses: { 200: { description: 'the pipeline', schema: pipelineDetailSchema }, 404: notFound },
      handler: async ({ params }) => ({ body: await pipelines.get(params.id) }),
    }),
    defineRoute({
      method: 'patch',
      path: '/pipelines/:id',
      summary: 'Change pipeline fields (name, schedule, limits…); the graph changes through new versions',
      tags,
      params: pipelineIdParams,
      body: updatePipelineBody,
      rawBody: true,
      responses: { 200: { description: 'updated', schema: pipelineDetailSchema }, 404: notFound, 409: conflict, 422: invalid },
      handler: async ({ params, body }) => ({ body: await pipelines.update(params.id, checkShape(updatePipelineBody, body)) }),
    }),
    defineRoute({
      method: 'delete',
      path: '/pipelines/:id',
      summary: 'Archive a pipeline (soft delete); answers 204 with no body',
      tags,
      params: pipelineIdParams,
      responses: { 204: { description: 'archived' }, 404: notFound },
      handler: async ({ params }) => {
        await pipelines.archive(params.id);
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/pipelines/:id/versions',
      summary: 'Versions of a pipeline, newest first',
      tags,
      params: pipelineIdParams,
      responses: { 200: { description: 'versions', schema: versionListSchema }, 404: notFound },
      handler: async ({ params }) => ({ body: await pipelines.listVersions(params.id) }),
    }),
    defineRoute({
      method: 'post',
      path: '/pipelines/:id/versions',
      summary: 'Create version N+1 (immutable); published only with "publish": true',
      tags,
      params: pipelineIdParams,
      body: newVersionBody,
      rawBody: true,
      responses: { 201: { description: 'created', schema: versionDetailSchema }, 404: notFound, 409: conflict, 422: invalid },
      handler: async ({ params, body }) => ({ status: 201, body: await pipelines.createVersion(params.id, checkShape(newVersionBody, body)) }),
    }),
    defineRoute({
      method: 'get',
      path: '/pipelines/:id/versions/:vid',
      summary: 'One version with its nodes and edges',
      tags,
      params: versionIdParams,
      responses: { 200: { description: 'the version', schema: versionDetailSchema }, 404: notFound },
      handler: async ({ params }) => ({ body: await pipelines.getVersion(params.id, params.vid) }),
    }),
    defineRoute({
      method: 'post',
      path: '/pipelines/:id/versions/:vid/publish',
      summary: 'Make this version the published one (runs use it); the version is re-validated first',
      tags,
      params: versionIdParams,
      responses: { 200: { description: 'published', schema: publishResultSchema }, 404: notFound, 409: conflict, 422: invalid },
      handler: async ({ params }) => ({ body: await pipelines.publish(params.id, params.vid) }),
    }),
    defineRoute({
      method: 'post',
      path: '/pipelines/:id/validate',
      summary: 'Validate the published version, a stored version (version_id) or a candidate version in the body',
      description: 'Answers 200 with every problem listed; nothing is stored.',
      tags,
      params: pipelineIdParams,
      body: validateRequestBody,
      rawBody: true,
      responses: { 200: { description: 'validation outcome', schema: validationResultSchema }, 404: notFound, 422: invalid },
      handler: async ({ params, body }) => {
        const raw = isRecord(body) ? body : {};
        if ('nodes' in raw || 'edges' in raw) {
          const { version_id: _ignored, ...candidate } = raw;
          return { body: await pipelines.validate(params.id, { candidate: checkShape(versionBody, candidate) }) };
        }
        const check = checkShape(validateRequestBody, body);
        if (!check.data) throw validationError(check.problems);
        return { body: await pipelines.validate(params.id, { versionId: check.data.version_id }) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/pipelines/:id/stats',
      summary: 'Run totals: runs by outcome, success rate, durations, last run, rows extracted and loaded',
      tags,
      params: pipelineIdParams,
      responses: { 200: { description: 'stats', schema: statsSchema }, 404: notFound },
      handler: async ({ params }) => ({ body: await pipelines.stats(params.id) }),
    }),
    defineRoute({
      method: 'get',
      path: '/pipelines/:id/metrics',
      summary: 'The stats plus runs by status, failed rows and bytes processed',
      tags,
      params: pipelineIdParams,
      responses: { 200: { description: 'metrics', schema: metricsSchema }, 404: notFound },
      handler: async ({ params }) => ({ body: await pipelines.metrics(params.id) }),
    }),
  ];
}
