import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { DEFAULT_PRIORITY, type JobProducer, type QueueDepth, type QueueJobRef } from '../services/job-producer.js';
import { cancelChannel, queueJobIdOf, RUNS_QUEUE, type RunJobData } from './queue-names.js';

export interface BullProducerOptions {
  prefix: string;
  retryBackoffMs: number;
}

/**
 * Puts jobs on the BullMQ runs queue. Retries are BullMQ's own (attempts = max_retries + 1,
 * exponential backoff); the executor decides per failure whether to use one. Cancel requests go
 * out on a pub/sub channel every worker listens to.
 */
export class BullProducer implements JobProducer {
  readonly mode = 'bullmq' as const;
  readonly queue: Queue<RunJobData>;

  constructor(
    private readonly redis: Redis,
    private readonly opts: BullProducerOptions,
  ) {
    this.queue = new Queue<RunJobData>(RUNS_QUEUE, { connection: redis, prefix: opts.prefix });
  }

  queueJobId(jobId: number): string {
    return queueJobIdOf(jobId);
  }

  async enqueue(job: QueueJobRef): Promise<void> {
    await this.queue.add(
      'run',
      { jobId: job.id },
      {
        jobId: queueJobIdOf(job.id),
        // BullMQ runs priority 1 first; every job gets one, so unprioritized entries cannot jump the line.
        priority: 11 - (job.priority ?? DEFAULT_PRIORITY),
        attempts: job.max_retries + 1,
        backoff: { type: 'exponential', delay: this.opts.retryBackoffMs },
        // The jobs table is the record; Redis keeps finished entries only briefly, for inspection.
        removeOnComplete: { age: 3600, count: 1000 },
        removeOnFail: { age: 24 * 3600, count: 5000 },
      },
    );
  }

  async dequeue(jobId: number): Promise<void> {
    // remove() refuses a job a worker holds the lock of; that worker sees the cancelled row and skips it.
    await this.queue.remove(queueJobIdOf(jobId)).catch(() => 0);
  }

  async signalCancel(jobId: number): Promise<void> {
    await this.redis.publish(cancelChannel(this.opts.prefix), String(jobId));
  }

  async depth(): Promise<QueueDepth> {
    const c = await this.queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed');
    return { waiting: (c.waiting ?? 0) + (c.prioritized ?? 0), active: c.active ?? 0, delayed: c.delayed ?? 0 };
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
