import type { Server } from 'node:http';
import { Redis } from 'ioredis';
import { createApp } from '../api/app.js';
import { installPlugins } from '../engine/transforms/plugins.js';
import { SynqxError } from '../core/errors.js';
import { isLoopbackHost, type AppConfig } from '../platform/config.js';
import type { Logger } from '../platform/logger.js';
import { createDispatch, type Dispatch } from '../scheduler/dispatch.js';
import { loadDispatchConfig } from '../scheduler/dispatch-config.js';
import { createServices, type Services } from '../services/container.js';
import { DispatchServiceFactory } from '../services/dispatch-service-factory.js';
import type { Db } from '../store/db.js';
import { openMetadataDb } from '../store/open-db.js';
import type { RunnerFactory } from './processes.js';

export interface RunningServer {
  server: Server;
  url: string;
  db: Db;
  services: Services;
  dispatch: Dispatch;
  close(): Promise<void>;
}

export interface ServeOptions {
  /** Run jobs in this process (synqx start). */
  worker?: RunnerFactory;
  /** Fire schedules from this process (synqx start). */
  scheduler?: boolean;
  env?: NodeJS.ProcessEnv;
}

/**
 * Refuses to expose an unauthenticated API: without API_TOKENS the server binds only to loopback.
 * Checked before anything is opened, so the operator sees the reason at once.
 */
export function assertSafeBinding(config: Pick<AppConfig, 'host' | 'apiTokens'>): void {
  if (config.apiTokens.length === 0 && !isLoopbackHost(config.host)) {
    throw new SynqxError(
      'CONFIG_INVALID',
      `refusing to listen on ${config.host} without authentication: set API_TOKENS (comma-separated bearer tokens) or HOST=127.0.0.1`,
    );
  }
}

export async function startApiServer(config: AppConfig, logger: Logger, opts: ServeOptions = {}): Promise<RunningServer> {
  assertSafeBinding(config);
  // Before anything opens or any pipeline is validated: a plugin that cannot load refuses the start.
  await installPlugins(config.pluginDir);
  const dispatchConfig = loadDispatchConfig(opts.env ?? process.env, config.redisUrl);
  const db = await openMetadataDb(config);
  const redis = config.redisUrl
    ? new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000 })
    : undefined;
  if (redis) {
    redis.on('error', () => {}); // reported through /health instead of crashing
    await redis.connect().catch((err: Error) => logger.warn({ err: err.message }, 'redis is not reachable yet'));
  }
  const dispatch = await createDispatch({ serviceFactory: new DispatchServiceFactory(db), logger, config: dispatchConfig });
  const services = await createServices({ db, config, logger, redis, dispatch });
  dispatch.followPipelineChanges(services.pipelines);
  if (opts.worker) await dispatch.startWorker({ runner: await opts.worker({ db, logger }) });
  if (opts.scheduler) await dispatch.startScheduler();
  const app = createApp({ config, logger, services });
  const server = app.listen(config.port, config.host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  logger.info(
    {
      url,
      store: db.kind,
      dispatch: dispatch.mode,
      worker: Boolean(opts.worker),
      scheduler: Boolean(opts.scheduler),
      auth: config.apiTokens.length > 0 ? 'bearer' : 'off (loopback only)',
      docs: `${url}/docs`,
    },
    'SynqX API listening',
  );
  return {
    server,
    url,
    db,
    services,
    dispatch,
    async close() {
      // Open SSE streams would keep server.close() waiting for ever; cut connections right away.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await dispatch.close();
      redis?.disconnect();
      await db.close();
    },
  };
}
