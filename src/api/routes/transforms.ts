import { z } from 'zod';
import { transformCatalog } from '../../services/transform-catalog.js';
import { defineRoute, type RouteSpec } from '../route.js';

const transformSchema = z.object({
  name: z.string().describe("what a transform node's operator_class names"),
  description: z.string(),
  operator_types: z.array(z.string()),
  inputs: z.enum(['one', 'many']),
  plugin: z.boolean().describe('loaded from the server\'s PLUGIN_DIR at start; plugins cannot be uploaded through the API'),
  config_schema: z.string().describe('name of the config schema under components.schemas of /openapi.json'),
});

/** Read-only: transforms are code the server was started with, so there is nothing to create here. */
export function transformRoutes(): RouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/transforms',
      summary: 'The transforms pipelines may use: the built-ins and the plugins this server loaded at start',
      tags: ['transforms'],
      responses: { 200: { description: 'transform catalog', schema: z.object({ transforms: z.array(transformSchema).describe("built-ins first, then plugins") }) } },
      handler: () => ({
        body: {
          transforms: transformCatalog().map((t) => ({
            name: t.name,
            description: t.description,
            operator_types: [...t.operatorTypes],
            inputs: t.inputs,
            plugin: t.plugin,
            config_schema: `TransformConfig.${t.name}`,
          })),
        },
      }),
    }),
  ];
}
