import type { Services } from '../../services/container.js';
import { defineRoute, type RouteSpec } from '../route.js';
import {
  assetIdParams,
  assetListSchema,
  assetSchema,
  connectionIdParams,
  connectionListQuery,
  connectionListSchema,
  connectionSchema,
  createAssetBody,
  createConnectionBody,
  discoverBody,
  discoverResultSchema,
  errorSchema,
  pageQuery,
  testResultSchema,
  updateAssetBody,
  updateConnectionBody,
  validateBody,
} from '../schemas/connection-schemas.js';

const notFound = { description: 'no such (live) connection or asset', schema: errorSchema };
const invalid = { description: 'validation failed (every problem listed)', schema: errorSchema };
const conflict = { description: 'name already in use', schema: errorSchema };
const tags = ['connections'];
const assetTags = ['assets'];

export function connectionRoutes(services: Services): RouteSpec[] {
  const connections = services.connections;
  const assets = connections.assets;
  return [
    defineRoute({
      method: 'get',
      path: '/connections',
      summary: 'List connections, newest first (secrets masked)',
      tags,
      query: connectionListQuery,
      responses: { 200: { description: 'a page of connections', schema: connectionListSchema } },
      handler: async ({ query }) => ({
        body: await connections.list({ limit: query.limit, offset: query.offset }, { connector_type: query.connector_type }),
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/connections',
      summary: 'Create a connection; its config is sealed in the vault and answered with secrets masked',
      tags,
      body: createConnectionBody,
      rawBody: true,
      responses: { 201: { description: 'created', schema: connectionSchema }, 409: conflict, 422: invalid },
      handler: async ({ body }) => {
        const input = await validateBody(createConnectionBody, body, (b) => connections.configProblems(b.connector_type, b.config));
        return { status: 201, body: await connections.createConnection(input) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/connections/:id',
      summary: 'One connection (secrets masked)',
      tags,
      params: connectionIdParams,
      responses: { 200: { description: 'the connection', schema: connectionSchema }, 404: notFound },
      handler: async ({ params }) => ({ body: await connections.get(params.id) }),
    }),
    defineRoute({
      method: 'patch',
      path: '/connections/:id',
      summary: 'Update a connection; config is merged, and "********" for a secret keeps the stored one',
      tags,
      params: connectionIdParams,
      body: updateConnectionBody,
      responses: { 200: { description: 'updated', schema: connectionSchema }, 404: notFound, 409: conflict, 422: invalid },
      handler: async ({ params, body }) => ({ body: await connections.update(params.id, body) }),
    }),
    defineRoute({
      method: 'delete',
      path: '/connections/:id',
      summary: 'Soft-delete a connection and its assets; answers 204 with no body',
      tags,
      params: connectionIdParams,
      responses: { 204: { description: 'deleted' }, 404: notFound },
      handler: async ({ params }) => {
        await connections.remove(params.id);
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/connections/:id/test',
      summary: "Connect and measure latency; 200 also when the target refuses (success false, the server's error text, no secrets)",
      tags,
      params: connectionIdParams,
      responses: { 200: { description: 'test outcome', schema: testResultSchema }, 404: notFound },
      handler: async ({ params }) => ({ body: await connections.test(params.id) }),
    }),
    defineRoute({
      method: 'post',
      path: '/connections/:id/discover',
      summary: 'List tables (and views) with columns, primary keys and row estimates; optionally register them as assets',
      tags,
      params: connectionIdParams,
      body: discoverBody,
      responses: {
        200: { description: 'discovered relations (and the assets created)', schema: discoverResultSchema },
        404: notFound,
        502: { description: 'the target could not be reached', schema: errorSchema },
      },
      handler: async ({ params, body }) => ({ body: await connections.discover(params.id, body) }),
    }),
    defineRoute({
      method: 'get',
      path: '/connections/:id/assets',
      summary: "List a connection's assets, oldest first",
      tags: assetTags,
      params: connectionIdParams,
      query: pageQuery,
      responses: { 200: { description: 'a page of assets', schema: assetListSchema }, 404: notFound },
      handler: async ({ params, query }) => ({ body: await assets.list(params.id, query) }),
    }),
    defineRoute({
      method: 'post',
      path: '/connections/:id/assets',
      summary: "Register an asset (table, view or query) on a connection; config is checked against the connector's asset options",
      tags: assetTags,
      params: connectionIdParams,
      body: createAssetBody,
      rawBody: true,
      responses: { 201: { description: 'created', schema: assetSchema }, 404: notFound, 409: conflict, 422: invalid },
      handler: async ({ params, body }) => {
        const input = await validateBody(createAssetBody, body, (b) => assets.optionsProblems(params.id, b));
        return { status: 201, body: await assets.create(params.id, input) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/connections/:id/assets/:aid',
      summary: 'One asset of a connection',
      tags: assetTags,
      params: assetIdParams,
      responses: { 200: { description: 'the asset', schema: assetSchema }, 404: notFound },
      handler: async ({ params }) => ({ body: await assets.get(params.id, params.aid) }),
    }),
    defineRoute({
      method: 'patch',
      path: '/connections/:id/assets/:aid',
      summary: 'Update an asset; config is merged (null removes a key)',
      tags: assetTags,
      params: assetIdParams,
      body: updateAssetBody,
      responses: { 200: { description: 'updated', schema: assetSchema }, 404: notFound, 409: conflict, 422: invalid },
      handler: async ({ params, body }) => ({ body: await assets.update(params.id, params.aid, body) }),
    }),
    defineRoute({
      method: 'delete',
      path: '/connections/:id/assets/:aid',
      summary: 'Soft-delete an asset; answers 204 with no body',
      tags: assetTags,
      params: assetIdParams,
      responses: { 204: { description: 'deleted' }, 404: notFound },
      handler: async ({ params }) => {
        await assets.remove(params.id, params.aid);
        return { status: 204 };
      },
    }),
  ];
}
