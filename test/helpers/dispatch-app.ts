import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import Router from '@koa/router';
import { createApp } from '../../src/api/app.js';
import { parseRouteInput, type RouteSpec } from '../../src/api/route.js';
import { jobRoutes } from '../../src/api/routes/jobs.js';
import { metricsRoutes } from '../../src/api/routes/metrics.js';
import { allRoutes, API_PREFIX } from '../../src/api/routes/index.js';
import { runRoutes } from '../../src/api/routes/runs.js';
import { triggerRoutes } from '../../src/api/routes/trigger.js';
import { createLogger } from '../../src/platform/logger.js';
import { createDispatch, type Dispatch, type WorkerHandle } from '../../src/scheduler/dispatch.js';
import { loadDispatchConfig, type DispatchConfig } from '../../src/scheduler/dispatch-config.js';
import { createServices, type Services } from '../../src/services/container.js';
import { DispatchServiceFactory } from '../../src/services/dispatch-service-factory.js';
import type { DispatchServices } from '../../src/services/dispatch-services.js';
import type { JobRunner } from '../../src/services/job-runner.js';
import { dropRedisPrefix, TEST_REDIS_URL, uniquePrefix, type DispatchMode } from './dispatch-fixtures.js';
import { ScriptedJobRunner } from './scripted-job-runner.js';
import { openTestStore, type StoreKind, type TestStore } from './stores.js';
import { apiClient, type ApiResponse } from './test-app.js';

/** Short intervals so stalls, cancels and retries show within a test's time; production defaults are untouched. */
export function testDispatchConfig(mode: DispatchMode, prefix: string, overrides: Partial<DispatchConfig> = {}): DispatchConfig {
  return loadDispatchConfig({}, mode === 'bullmq' ? TEST_REDIS_URL : undefined, {
    queuePrefix: prefix,
    workerConcurrency: 4,
    lockMs: 2000,
    stalledIntervalMs: 500,
    retryBackoffMs: 50,
    cancelPollMs: 300,
    pollMs: 50,
    scheduleSyncMs: 1000,
    orphanCheckMs: 5000,
    shutdownTimeoutMs: 5000,
    ...overrides,
  });
}

export interface DispatchApp {
  url: string;
  store: TestStore;
  dispatch: Dispatch;
  services: Services & DispatchServices;
  runner: ScriptedJobRunner;
  worker: WorkerHandle | undefined;
  prefix: string;
  logs: string[];
  api<T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse<T>>;
  close(): Promise<void>;
}

export interface DispatchAppOptions {
  mode: DispatchMode;
  store?: StoreKind;
  /** Start a worker in the test process (default true). */
  worker?: boolean;
  runner?: JobRunner;
  config?: Partial<DispatchConfig>;
}

/**
 * The real app plus dispatch on a real port. Routes the shared route index does not mount yet are
 * mounted here the way app.ts mounts routes (same validation and error mapping).
 */
export async function startDispatchApp(opts: DispatchAppOptions): Promise<DispatchApp> {
  const store = await openTestStore(opts.store ?? 'postgres');
  const logs: string[] = [];
  const logger = createLogger({ level: 'info', json: true, destination: { write: (l: string) => void logs.push(l) } });
  const config = { masterPassword: 'test-master-password', apiTokens: [], maxBodyBytes: 1_048_576 };
  const prefix = uniquePrefix(opts.mode);
  const dispatch = await createDispatch({ serviceFactory: new DispatchServiceFactory(store.db), logger, config: testDispatchConfig(opts.mode, prefix, opts.config) });
  const services = await createServices({ db: store.db, config, logger, dispatch });
  dispatch.followPipelineChanges(services.pipelines);
  const runner = (opts.runner as ScriptedJobRunner | undefined) ?? new ScriptedJobRunner(store.db);
  const worker = opts.worker === false ? undefined : await dispatch.startWorker({ runner });
  const app = createApp({ config, logger, services });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    store,
    dispatch,
    services,
    runner,
    worker,
    prefix,
    logs,
    api: apiClient(url),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await dispatch.close();
      await store.close();
      if (opts.mode === 'bullmq') await dropRedisPrefix(prefix);
    },
  };
}
