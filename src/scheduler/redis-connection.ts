import { Redis } from 'ioredis';
import type { Logger } from '../platform/logger.js';

export type RedisRole = 'producer' | 'worker' | 'subscriber';

/**
 * One ioredis client per use. Workers and subscribers block or wait on their connection, so they
 * retry forever (maxRetriesPerRequest: null, as BullMQ requires); the producer serves HTTP requests
 * and gives up quickly instead, so a trigger answers 503 rather than hanging while Redis is down.
 * BullMQ is handed ready-made clients: in ESM it cannot build ioredis clients from options itself.
 */
export function createRedis(url: string, role: RedisRole, logger: Logger): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: role === 'producer' ? 2 : null,
    connectionName: `synqx-${role}`,
    connectTimeout: 5_000,
  });
  let reported = false;
  redis.on('error', (err: Error) => {
    // ioredis reconnects by itself; say it once per outage, not once per retry.
    if (!reported) logger.warn({ role, err: err.message }, 'redis connection problem');
    reported = true;
  });
  redis.on('ready', () => {
    reported = false;
  });
  return redis;
}

export async function closeRedis(redis: Redis): Promise<void> {
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}
