import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Db } from '../../src/store/db.js';
import { pipelineRepo } from '../../src/store/repos/pipeline-repo.js';
import { pipelineVersionRepo } from '../../src/store/repos/pipeline-version-repo.js';
import type { RunScript } from './scripted-job-runner.js';

/** The real Redis of this machine (and of CI). Override with TEST_REDIS_URL. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export type DispatchMode = 'bullmq' | 'embedded';
export const DISPATCH_MODES: DispatchMode[] = ['bullmq', 'embedded'];

/** A BullMQ key prefix of its own per test file, so files never see each other's queues. */
export function uniquePrefix(tag: string): string {
  return `synqx-t-${tag}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** Deletes every Redis key under a test prefix. */
export async function dropRedisPrefix(prefix: string): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

export interface SeedOptions {
  name?: string;
  maxParallelRuns?: number;
  /** max_retries of every node: the job's retry budget. */
  maxRetries?: number;
  cron?: string;
  timezone?: string;
  enabled?: boolean;
  timeoutSeconds?: number;
}

let seq = 0;

/** A pipeline with a published two-node version, straight through the repositories (no assets needed). */
export async function seedPipeline(db: Db, o: SeedOptions = {}): Promise<{ pipelineId: number; versionId: number }> {
  const pipelineId = await pipelineRepo.insert(db, {
    name: o.name ?? `dispatch-${process.pid}-${++seq}-${randomBytes(2).toString('hex')}`,
    schedule_cron: o.cron ?? null,
    schedule_enabled: o.enabled ?? false,
    schedule_timezone: o.timezone ?? 'UTC',
    max_parallel_runs: o.maxParallelRuns ?? 1,
    execution_timeout_seconds: o.timeoutSeconds ?? null,
    priority: 5,
  });
  const versionId = await publishNewVersion(db, pipelineId, o.maxRetries ?? 0);
  return { pipelineId, versionId };
}

export async function publishNewVersion(db: Db, pipelineId: number, maxRetries = 0): Promise<number> {
  const node = (node_id: string, operator_type: 'extract' | 'load', order_index: number) => ({
    node_id,
    name: node_id,
    operator_type,
    operator_class: 'postgresql',
    config: {},
    order_index,
    max_retries: maxRetries,
  });
  const v = await pipelineVersionRepo.create(db, pipelineId, {
    config_snapshot: {},
    nodes: [node('extract', 'extract', 1), node('load', 'load', 2)],
    edges: [{ from_node_id: 'extract', to_node_id: 'load', edge_type: 'data_flow' }],
  });
  await pipelineVersionRepo.publish(db, pipelineId, v.id);
  return v.id;
}

export const script = (s: RunScript) => ({ run_params: { script: s } });

/** Polls `fn` until it returns a truthy value; throws with `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 10_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
