import type { Logger } from '../platform/logger.js';
import type { JobExecutor } from '../services/job-executor.js';
import { DEFAULT_PRIORITY, type JobProducer, type QueueDepth, type QueueJobRef } from '../services/job-producer.js';
import { BoundedQueue } from './bounded-queue.js';
import { backoffMs } from './dispatch-config.js';

interface LocalItem {
  jobId: number;
  attempt: number;
  priority: number;
}

export interface InProcessOptions {
  logger: Logger;
  capacity: number;
  retryBackoffMs: number;
}

/**
 * The embedded dispatcher (no REDIS_URL): a bounded in-memory queue drained by this process's
 * executor with a fixed concurrency. Same states, retries, backoff and cancel as the BullMQ path;
 * what it cannot do is survive the process: jobs it held are recovered from the jobs table at the
 * next start (see JobRecovery.recoverAfterCrash).
 */
export class InProcessDispatcher implements JobProducer {
  readonly mode = 'embedded' as const;
  private readonly queue: BoundedQueue<LocalItem>;
  private readonly delayed = new Map<number, NodeJS.Timeout>();
  private readonly running = new Map<number, Promise<void>>();
  private executor: JobExecutor | undefined;
  private concurrency = 1;
  private accepting = false;

  constructor(private readonly opts: InProcessOptions) {
    this.queue = new BoundedQueue<LocalItem>(opts.capacity);
  }

  queueJobId(jobId: number): string {
    return `local-${jobId}`;
  }

  async enqueue(job: QueueJobRef): Promise<void> {
    this.enqueueAttempt(job.id, 1, job.priority);
  }

  /** Queues a delivery with a given attempt number (recovery of a job that already ran). */
  enqueueAttempt(jobId: number, attempt: number, priority = DEFAULT_PRIORITY): void {
    if (this.running.has(jobId) || this.delayed.has(jobId) || this.queue.has((i) => i.jobId === jobId)) return;
    this.push({ jobId, attempt, priority });
  }

  /** Highest priority first, then first come first served (as the BullMQ path); then starts what it can. */
  private push(item: LocalItem): void {
    this.queue.push(item, (waiting) => waiting.priority < item.priority);
    this.pump();
  }

  async dequeue(jobId: number): Promise<void> {
    this.queue.remove((i) => i.jobId === jobId);
    const timer = this.delayed.get(jobId);
    if (timer) clearTimeout(timer);
    this.delayed.delete(jobId);
  }

  async signalCancel(jobId: number): Promise<void> {
    this.executor?.stop(jobId, 'cancel');
  }

  async depth(): Promise<QueueDepth> {
    return { waiting: this.queue.size, active: this.running.size, delayed: this.delayed.size };
  }

  /** Starts draining the queue with this executor. */
  attach(executor: JobExecutor, concurrency: number): void {
    this.executor = executor;
    this.concurrency = concurrency;
    this.accepting = true;
    this.pump();
  }

  /**
   * Stops taking work, gives running jobs `timeoutMs` to finish, then stops them (they go back to
   * `queued` and run at the next start). Jobs waiting for a retry stay `retrying` in the table.
   */
  async detach(timeoutMs: number): Promise<void> {
    this.accepting = false;
    const all = Promise.allSettled([...this.running.values()]);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    if ((await Promise.race([all, expired])) === 'timeout') {
      this.opts.logger.warn({ jobs: [...this.running.keys()] }, 'shutdown timeout: stopping running jobs');
      this.executor?.stopAll('shutdown');
      await all;
    }
    clearTimeout(timer);
    for (const t of this.delayed.values()) clearTimeout(t);
    this.delayed.clear();
    this.executor = undefined;
  }

  private pump(): void {
    while (this.accepting && this.executor && this.running.size < this.concurrency) {
      const item = this.queue.shift();
      if (!item) return;
      const done = this.runOne(this.executor, item).finally(() => {
        this.running.delete(item.jobId);
        this.pump();
      });
      this.running.set(item.jobId, done);
    }
  }

  private async runOne(executor: JobExecutor, item: LocalItem): Promise<void> {
    try {
      const verdict = await executor.execute(item.jobId, item.attempt);
      if (verdict.kind !== 'retry') return;
      const wait = backoffMs(this.opts.retryBackoffMs, item.attempt);
      const timer = setTimeout(() => {
        this.delayed.delete(item.jobId);
        try {
          this.push({ ...item, attempt: item.attempt + 1 });
        } catch (err) {
          this.opts.logger.error({ err, jobId: item.jobId }, 'retry could not be queued; the job is queued again at the next start');
        }
      }, wait);
      timer.unref();
      this.delayed.set(item.jobId, timer);
    } catch (err) {
      // The store failed under us; the job keeps its last recorded state and recovery picks it up.
      this.opts.logger.error({ err, jobId: item.jobId }, 'job execution failed in the dispatcher');
    }
  }
}
