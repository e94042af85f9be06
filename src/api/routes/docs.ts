import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { SynqxError } from '../../core/errors.js';
import { SYNQX_VERSION } from '../../core/version.js';
import { transformCatalog } from '../../services/transform-catalog.js';
import { buildOpenApi } from '../openapi.js';
import { defineRoute, type RouteSpec } from '../route.js';

// Swagger UI ships in the npm package and is served from here, so /docs works with no network.
const swaggerDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'application/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>SynqX API</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
  <link rel="icon" href="/docs/assets/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>`;

// Kept in its own file so the page needs no inline script (a strict CSP can forbid those).
const INIT_JS = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  persistAuthorization: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: 'StandaloneLayout'
});`;

export function docsRoutes(routes: () => RouteSpec[]): RouteSpec[] {
  let cached: unknown;
  return [
    defineRoute({
      method: 'get',
      path: '/openapi.json',
      summary: 'The OpenAPI 3.1 document of this API',
      tags: ['docs'],
      responses: { 200: { description: 'OpenAPI document' } },
      handler: () => {
        cached ??= buildOpenApi(
          routes(),
          { version: SYNQX_VERSION },
          // A node's config is checked against its transform's schema; each is published as TransformConfig.<name>.
          transformCatalog().map((t) => ({
            name: `TransformConfig.${t.name}`,
            description: `config of operator_class "${t.name}" (operator_type ${t.operatorTypes.join(' | ')}): ${t.description}`,
            schema: t.configSchema,
          })),
        );
        return { body: cached };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/docs',
      summary: 'Interactive API documentation (Swagger UI, served locally)',
      tags: ['docs'],
      responses: { 200: { description: 'HTML page' } },
      handler: () => ({ body: DOCS_HTML, headers: { 'Content-Type': 'text/html; charset=utf-8' } }),
    }),
    defineRoute({
      method: 'get',
      path: '/docs/init.js',
      summary: 'Docs page bootstrap script',
      tags: ['docs'],
      responses: { 200: { description: 'script' } },
      handler: () => ({ body: INIT_JS, headers: { 'Content-Type': 'application/javascript; charset=utf-8' } }),
    }),
    defineRoute({
      method: 'get',
      path: '/docs/assets/:file',
      summary: 'Docs page static files',
      tags: ['docs'],
      params: z.object({ file: z.string() }),
      responses: { 200: { description: 'file' }, 404: { description: 'no such file' } },
      handler: async ({ params }) => {
        const type = ASSETS[params.file];
        if (!type) throw new SynqxError('NOT_FOUND', 'no such docs asset');
        const body = await readFile(join(swaggerDir, params.file));
        return { body, headers: { 'Content-Type': type, 'Cache-Control': 'public, max-age=86400' } };
      },
    }),
  ];
}
