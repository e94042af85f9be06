import type { Db } from '../store/db.js';

export interface HealthReport {
  status: 'healthy' | 'degraded';
  database: 'connected' | 'disconnected';
  redis: 'connected' | 'disconnected' | 'not_configured';
  store: 'postgres' | 'pglite';
  version: string;
  timestamp: string;
  problems: { dependency: string; message: string }[];
}

/** Something that can say whether Redis answers; absent when the service runs without Redis. */
export interface RedisProbe {
  ping(): Promise<unknown>;
}

const PROBE_TIMEOUT_MS = 2000;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

export class HealthService {
  constructor(
    private readonly db: Db,
    private readonly version: string,
    private readonly redis?: RedisProbe,
  ) {}

  async check(): Promise<HealthReport> {
    const problems: HealthReport['problems'] = [];
    const [dbResult, redisResult] = await Promise.allSettled([
      withTimeout(this.db.ping(), PROBE_TIMEOUT_MS),
      this.redis ? withTimeout(this.redis.ping(), PROBE_TIMEOUT_MS) : Promise.resolve('not_configured'),
    ]);
    const database = dbResult.status === 'fulfilled' ? 'connected' : 'disconnected';
    if (dbResult.status === 'rejected') problems.push({ dependency: 'database', message: errorText(dbResult.reason) });
    let redis: HealthReport['redis'] = 'not_configured';
    if (this.redis) {
      redis = redisResult.status === 'fulfilled' ? 'connected' : 'disconnected';
      if (redisResult.status === 'rejected') problems.push({ dependency: 'redis', message: errorText(redisResult.reason) });
    }
    return {
      status: problems.length === 0 ? 'healthy' : 'degraded',
      database,
      redis,
      store: this.db.kind,
      version: this.version,
      timestamp: new Date().toISOString(),
      problems,
    };
  }
}

// Driver errors can carry the connection string; keep only the first line of the message, which does not.
function errorText(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0]!.replace(/\/\/[^@\s]*@/g, '//****@');
}
