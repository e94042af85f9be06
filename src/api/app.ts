import { randomUUID } from 'node:crypto';
import Router from '@koa/router';
import Koa from 'koa';
import { HttpMethodEnum, koaBody } from 'koa-body';
import { SynqxError } from '../core/errors.js';
import type { AppConfig } from '../platform/config.js';
import type { Logger } from '../platform/logger.js';
import { runWithLogContext } from '../platform/request-context.js';
import type { Services } from '../services/container.js';
import { bearerAuth } from './auth.js';
import { mapError } from './error-mapping.js';
import { parseRouteInput, type RouteSpec } from './route.js';
import { allRoutes, API_PREFIX } from './routes/index.js';

export interface AppDeps {
  config: Pick<AppConfig, 'apiTokens' | 'maxBodyBytes'>;
  logger: Logger;
  services: Services;
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;
const PUBLIC_PATHS = new Set(['/health', '/health/', `${API_PREFIX}/health`, `${API_PREFIX}/health/`]);

export function createApp(deps: AppDeps): Koa {
  const { logger } = deps;
  const app = new Koa();
  app.proxy = false;
  // Koa's own error printing would bypass pino; every error is answered and logged by our middleware.
  app.silent = true;

  app.use(async (ctx, next) => {
    const given = ctx.get('x-request-id');
    const requestId = given && REQUEST_ID.test(given) ? given : randomUUID();
    ctx.state.requestId = requestId;
    ctx.set('X-Request-ID', requestId);
    const started = process.hrtime.bigint();
    await runWithLogContext({ requestId }, async () => {
      try {
        await next();
        if (ctx.status === 404 && ctx.body === undefined) throw new SynqxError('NOT_FOUND', `no route for ${ctx.method} ${ctx.path}`);
      } catch (err) {
        const mapped = mapError(err, requestId);
        ctx.status = mapped.status;
        ctx.body = mapped.body;
        if (mapped.serverFault) logger.error({ err }, 'request failed');
      }
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      logger.info({ method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(ms * 10) / 10 }, 'request');
    });
  });

  app.use(bearerAuth(deps.config.apiTokens, (path) => PUBLIC_PATHS.has(path)));

  app.use(async (ctx, next) => {
    const hasBody = ctx.request.length !== undefined && ctx.request.length > 0 || ctx.get('transfer-encoding') !== '';
    if (['POST', 'PATCH', 'PUT'].includes(ctx.method) && hasBody && !ctx.is('json')) {
      throw new SynqxError('UNSUPPORTED_MEDIA_TYPE', 'request body must be JSON (Content-Type: application/json)');
    }
    return next();
  });
  app.use(
    koaBody({
      json: true,
      jsonStrict: false,
      urlencoded: false,
      text: false,
      multipart: false,
      jsonLimit: deps.config.maxBodyBytes,
      parsedMethods: [HttpMethodEnum.POST, HttpMethodEnum.PUT, HttpMethodEnum.PATCH, HttpMethodEnum.DELETE],
      onError: (err) => {
        throw err;
      },
    }),
  );

  const router = new Router();
  for (const route of allRoutes(deps.services)) mount(router, route);
  app.use(router.routes());
  app.use(router.allowedMethods({ throw: false }));
  return app;
}

function mount(router: Router, route: RouteSpec): void {
  router[route.method](route.path, async (ctx) => {
    const input = parseRouteInput(route, ctx);
    const result = await route.handler(input);
    if (result.headers) for (const [k, v] of Object.entries(result.headers)) ctx.set(k, v);
    ctx.status = result.status ?? 200;
    if (result.body !== undefined) ctx.body = result.body;
  });
}
