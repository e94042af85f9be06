/** Names shared by every process that talks to the same queues; changing one splits a deployment in two. */
export const RUNS_QUEUE = 'synqx-runs';
export const SCHEDULES_QUEUE = 'synqx-schedules';

/** Payload of a run job: only the id; the jobs table holds the rest. */
export interface RunJobData {
  jobId: number;
}

/** Payload a job scheduler stamps on each firing: the schedule it was made from (stale firings are dropped). */
export interface FireJobData {
  pipelineId: number;
  cron: string;
  timezone: string;
}

/** BullMQ refuses purely numeric custom ids; the prefix also makes ids readable in Redis. */
export const queueJobIdOf = (jobId: number): string => `run-${jobId}`;

export function jobIdOfQueueJob(queueJobId: string | undefined): number | undefined {
  const m = /^run-(\d+)$/.exec(queueJobId ?? '');
  return m ? Number(m[1]) : undefined;
}

export const schedulerIdOf = (pipelineId: number): string => `pipeline-${pipelineId}`;

export function pipelineIdOfScheduler(id: string): number | undefined {
  const m = /^pipeline-(\d+)$/.exec(id);
  return m ? Number(m[1]) : undefined;
}

/** Pub/sub channel on which cancel requests reach every worker process. */
export const cancelChannel = (prefix: string): string => `${prefix}:${RUNS_QUEUE}:cancel`;
