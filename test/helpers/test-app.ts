import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createApp } from '../../src/api/app.js';
import { createLogger } from '../../src/platform/logger.js';
import { createServices, type Services } from '../../src/services/container.js';
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
}

/** The real app on a real port over a real store; logs captured in memory for secret checks. */
export async function startTestApp(opts: TestAppOptions = {}): Promise<TestApp> {
  const store = await openTestStore(opts.store ?? 'postgres');
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', json: true, destination: { write: (l: string) => void logs.push(l) } });
  const config = {
    masterPassword: opts.masterPassword ?? 'test-master-password',
    apiTokens: opts.apiTokens ?? [],
    maxBodyBytes: opts.maxBodyBytes ?? 1_048_576,
  };
  const services = await createServices({ db: store.db, config, logger });
  const app = createApp({ config, logger, services });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    store,
    services,
    logs,
    async api(method, path, body, headers = {}) {
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
      return { status: res.status, body: parsed as any, text, headers: res.headers };
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await store.close();
    },
  };
}
