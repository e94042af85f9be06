import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Fields that every log line written while handling one request (or running one job) carries,
 * without threading a logger through every call.
 */
export type LogContext = Record<string, string | number | undefined>;

const storage = new AsyncLocalStorage<LogContext>();

export function runWithLogContext<T>(ctx: LogContext, fn: () => T): T {
  const parent = storage.getStore();
  return storage.run(parent ? { ...parent, ...ctx } : ctx, fn);
}

export function currentLogContext(): LogContext | undefined {
  return storage.getStore();
}
