import { createPipelineRunner } from '../../src/services/pipeline-runner.js';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createApp } from '../../src/api/app.js';
import { installPlugins } from '../../src/engine/transforms/plugins.js';
import { createLogger } from '../../src/platform/logger.js';
import { createDispatch, type Dispatch } from '../../src/scheduler/dispatch.js';
import { loadDispatchConfig } from '../../src/scheduler/dispatch-config.js';
import { createServices, type Services } from '../../src/services/container.js';
import { DispatchServiceFactory } from '../../src/services/dispatch-service-factory.js';
import type { JobRunner } from '../../src/services/job-runner.js';
import type { Db } from '../../src/store/db.js';
import type { Logger } from '../../src/platform/logger.js';
import { pgConnectionConfig } from './pg.js';
import { openTestStore, type StoreKind, type TestStore } from './stores.js';

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

export interface TestApp {
  url: string;
  store: TestStore;
  services: Services;
  dispatch: Dispatch;
  /** Every log line the app wrote, as raw JSON text. */
  logs: string[];
  api<T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse<T>>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  store?: StoreKind;
  apiTokens?: string[];
  masterPassword?: string;
  maxBodyBytes?: number;
  /** PLUGIN_DIR: installed before the services start, as startApiServer does. */
  pluginDir?: string;
  /** Starts an in-process worker with this runner (embedded dispatch); without it jobs stay queued. */
  runner?: (deps: { db: Db; logger: Logger; services: Services }) => JobRunner | Promise<JobRunner>;
}

/** The real pipeline runner for `runner`, salting pii hashes with `saltSecret` (the test app's master password by default). */
export function realPipelineRunner(saltSecret = 'test-master-password'): NonNullable<TestAppOptions['runner']> {
  return ({ db, logger, services }) => createPipelineRunner({ db, logger, connections: services.connections, pipelines: services.pipelines, saltSecret });
}

/** The real app on a real port over a real store; logs captured in memory for secret checks. */
export async function startTestApp(opts: TestAppOptions = {}): Promise<TestApp> {
  await installPlugins(opts.pluginDir);
  const store = await openTestStore(opts.store ?? 'postgres');
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', json: true, destination: { write: (l: string) => void logs.push(l) } });
  const config = {
    masterPassword: opts.masterPassword ?? 'test-master-password',
    apiTokens: opts.apiTokens ?? [],
    maxBodyBytes: opts.maxBodyBytes ?? 1_048_576,
  };
  const dispatch = await createDispatch({ serviceFactory: new DispatchServiceFactory(store.db), logger, config: loadDispatchConfig({}, undefined) });
  const services = await createServices({ db: store.db, config, logger, dispatch });
  dispatch.followPipelineChanges(services.pipelines);
  if (opts.runner) await dispatch.startWorker({ runner: await opts.runner({ db: store.db, logger, services }) });
  const app = createApp({ config, logger, services });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    store,
    services,
    dispatch,
    logs,
    api: apiClient(url),
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await dispatch.close();
      await store.close();
    },
  };
}

/** A JSON client for one base URL: bodies are sent as JSON, answers parsed when they are JSON. */
export function apiClient(url: string) {
  return async <T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> => {
    const init: RequestInit = { method, headers: { ...headers } };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
    }
    const res = await fetch(url + path, init);
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, body: parsed as T, text, headers: res.headers };
  };
}

/** Creates a `postgresql` connection to `database` on the test server over the API; returns its id. */
export async function createPgConnection(app: Pick<TestApp, 'api'>, database: string, name = 'data'): Promise<number> {
  const res = await app.api('POST', '/api/v1/connections', { name, connector_type: 'postgresql', config: pgConnectionConfig(database) });
  if (res.status !== 201) throw new Error(`creating connection ${name}: ${res.status} ${res.text}`);
  return res.body.id as number;
}

/** Creates an asset (a table) on a connection over the API; returns its id. */
export async function createAsset(app: Pick<TestApp, 'api'>, connectionId: number, name: string, isDestination = false): Promise<number> {
  const res = await app.api('POST', `/api/v1/connections/${connectionId}/assets`, { name, is_destination: isDestination });
  if (res.status !== 201) throw new Error(`creating asset ${name}: ${res.status} ${res.text}`);
  return res.body.id as number;
}
