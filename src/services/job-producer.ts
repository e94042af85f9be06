/**
 * The port between the run use cases and whatever carries jobs to workers: BullMQ on Redis, or the
 * embedded in-process queue. Implementations live in src/scheduler/; services only see this.
 * The `jobs` table stays the source of truth: a queue entry only says "job N should run now".
 */
export interface QueueJobRef {
  id: number;
  pipeline_id: number;
  /** Retries allowed after the first attempt (transient failures only). */
  max_retries: number;
  /** The pipeline's priority, 1 (lowest) … 10 (highest); default 5. Waiting jobs start highest first, then oldest first. */
  priority?: number;
}

export const DEFAULT_PRIORITY = 5;

export interface QueueDepth {
  waiting: number;
  active: number;
  /** Waiting for a retry backoff to pass. */
  delayed: number;
}

export interface JobProducer {
  readonly mode: 'bullmq' | 'embedded';
  /** The id the queue knows the job by (stored in jobs.queue_job_id). */
  queueJobId(jobId: number): string;
  /** Puts the job on the queue. Idempotent: enqueuing a job twice runs it once. */
  enqueue(job: QueueJobRef): Promise<void>;
  /** Best effort: drops a job that has not started (waiting or delayed) from the queue. */
  dequeue(jobId: number): Promise<void>;
  /** Tells whichever worker runs the job, in this process or another, to stop it. */
  signalCancel(jobId: number): Promise<void>;
  depth(): Promise<QueueDepth>;
}
