import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import { SynqxError } from '../core/errors.js';

/**
 * One thread fewer than the cores, at least one: the coordinator thread decodes and encodes COPY data
 * and needs a core of its own. On a 2-core machine 2 threads ran the benchmark's transform chain slower
 * than 1 (and with ~50 MB more RSS per thread).
 */
export function defaultTransformThreads(): number {
  return Math.max(1, availableParallelism() - 1);
}

/** The well-known placeholder from the original README; accepted only in development. */
export const DEFAULT_MASTER_PASSWORD = 'change_this_to_a_secure_random_string';

const boolish = z
  .union([z.boolean(), z.string()])
  .transform((v, ctx) => {
    if (typeof v === 'boolean') return v;
    const s = v.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(s)) return true;
    if (['0', 'false', 'no', 'off', ''].includes(s)) return false;
    ctx.addIssue({ code: 'custom', message: `expected true/false, got "${v}"` });
    return z.NEVER;
  });

const postgresUrl = z
  .string()
  .trim()
  .refine((v) => /^postgres(ql)?:\/\//i.test(v), 'must be a postgres:// or postgresql:// URL');

const redisUrl = z
  .string()
  .trim()
  .refine((v) => /^rediss?:\/\//i.test(v), 'must be a redis:// or rediss:// URL');

const emptyToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

const pluginDirSchema = z.preprocess(emptyToUndefined, z.string().trim().optional());

const workerHeapMbSchema = z.preprocess(emptyToUndefined, z.coerce.number().int().min(16).max(16_384).optional());

const envSchema = z.object({
  DATABASE_URL: z.preprocess(emptyToUndefined, postgresUrl.optional()),
  REDIS_URL: z.preprocess(emptyToUndefined, redisUrl.optional()),
  MASTER_PASSWORD: z.preprocess(emptyToUndefined, z.string().optional()),
  PORT: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(65535).default(8000)),
  HOST: z.preprocess(emptyToUndefined, z.string().default('127.0.0.1')),
  LOG_LEVEL: z.preprocess(
    (v) => (typeof v === 'string' && v.trim() !== '' ? v.trim().toLowerCase() : undefined),
    z.enum(['fatal', 'error', 'warn', 'warning', 'info', 'debug', 'trace', 'silent']).default('info'),
  ),
  JSON_LOGS: z.preprocess(emptyToUndefined, boolish.default(true)),
  API_TOKENS: z.preprocess(emptyToUndefined, z.string().optional()),
  ENVIRONMENT: z.preprocess(
    (v) => (typeof v === 'string' && v.trim() !== '' ? v.trim().toLowerCase() : undefined),
    z.string().default('development'),
  ),
  SYNQX_HOME: z.preprocess(emptyToUndefined, z.string().optional()),
  MAX_BODY_BYTES: z.preprocess(emptyToUndefined, z.coerce.number().int().positive().default(1_048_576)),
  TRANSFORM_THREADS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(64).default(defaultTransformThreads())),
  TRANSFORM_WORKER_HEAP_MB: workerHeapMbSchema,
  PLUGIN_DIR: pluginDirSchema,
});

export interface AppConfig {
  /** Undefined means: use the embedded PGlite store under `home`. */
  databaseUrl: string | undefined;
  /** Undefined means: dispatch runs in process. */
  redisUrl: string | undefined;
  masterPassword: string;
  port: number;
  host: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  jsonLogs: boolean;
  apiTokens: string[];
  environment: string;
  home: string;
  maxBodyBytes: number;
  /** Piscina threads that run transforms in a worker; 0 runs them on the worker's own thread. */
  transformThreads: number;
  /** Each transform worker's V8 old-generation limit; undefined: the pool's default (128 MB). */
  transformWorkerHeapMb: number | undefined;
  /** Absolute directory of custom transform modules loaded at start; undefined: none. */
  pluginDir: string | undefined;
}

export function isDevelopment(config: Pick<AppConfig, 'environment'>): boolean {
  return ['development', 'dev', 'local', 'test'].includes(config.environment);
}

/**
 * Parse the environment once, at the edge. Every problem is reported together so an operator fixes
 * the environment in one go. Secrets are never echoed back in the messages.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => ({
      field: i.path.join('.'),
      message: i.message,
      error_type: i.code,
    }));
    const text = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
    throw new SynqxError('CONFIG_INVALID', `invalid configuration: ${text}`, { details: problems });
  }
  const e = parsed.data;
  const environment = e.ENVIRONMENT;
  const dev = isDevelopment({ environment });
  let masterPassword = e.MASTER_PASSWORD;
  if (!masterPassword || masterPassword === DEFAULT_MASTER_PASSWORD) {
    if (!dev) {
      throw new SynqxError(
        'CONFIG_INVALID',
        `invalid configuration: MASTER_PASSWORD must be set to a non-default secret when ENVIRONMENT=${environment}`,
        { details: [{ field: 'MASTER_PASSWORD', message: 'missing or default', error_type: 'required' }] },
      );
    }
    masterPassword = masterPassword ?? 'synqx-development-master-password';
  }
  const logLevel = e.LOG_LEVEL === 'warning' ? 'warn' : e.LOG_LEVEL;
  const apiTokens = (e.API_TOKENS ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
  return {
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    masterPassword,
    port: e.PORT,
    host: e.HOST,
    logLevel,
    jsonLogs: e.JSON_LOGS,
    apiTokens,
    environment,
    home: resolve(e.SYNQX_HOME ?? resolve(process.cwd(), '.synqx')),
    maxBodyBytes: e.MAX_BODY_BYTES,
    transformThreads: e.TRANSFORM_THREADS,
    transformWorkerHeapMb: e.TRANSFORM_WORKER_HEAP_MB,
    pluginDir: absolute(e.PLUGIN_DIR),
  };
}

/**
 * PLUGIN_DIR alone, for `synqx run`, which needs no metadata store or master password and so never
 * calls loadConfig.
 */
export function pluginDirFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const parsed = pluginDirSchema.safeParse(env.PLUGIN_DIR);
  return parsed.success ? absolute(parsed.data) : undefined;
}

/** TRANSFORM_WORKER_HEAP_MB for the one-shot commands, which do not load the server's config. */
export function workerHeapMbFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const parsed = workerHeapMbSchema.safeParse(env.TRANSFORM_WORKER_HEAP_MB);
  if (parsed.success) return parsed.data;
  throw new SynqxError('CONFIG_INVALID', `TRANSFORM_WORKER_HEAP_MB: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
}

function absolute(dir: string | undefined): string | undefined {
  return dir === undefined ? undefined : resolve(process.cwd(), dir);
}

/** Loopback hosts are the only ones the API may bind to without API_TOKENS. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

