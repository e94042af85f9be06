import { SynqxError } from '../core/errors.js';
import type { Db, Queryable } from '../store/db.js';
import { jobStateRepo, type AdmissionPipeline, type RunnableVersion } from '../store/repos/job-state-repo.js';
import { runRepo, type JobRow, type JobStatus, type NewJob, type RunRow } from '../store/repos/run-repo.js';
import { moveJob } from './job-lifecycle.js';
import type { JobProducer } from './job-producer.js';

export interface AdmissionRequest {
  pipelineId: number;
  /** Pins this version; by default the published one. */
  versionId?: number;
  triggerType: NewJob['triggerType'];
  payload: Record<string, unknown>;
  retryOfJobId?: number;
  /** Schedules never start runs of a paused pipeline; a person may. */
  refusePaused?: boolean;
}

export interface Admitted {
  job: JobRow;
  run: RunRow;
  pipeline: AdmissionPipeline;
  version: RunnableVersion;
}

/** Details of the 409 a refused trigger answers. */
export interface OverlapDetails {
  running_job_id: number;
  running_job_status: JobStatus;
  active_job_ids: number[];
  max_parallel_runs: number;
}

export function isOverlap(err: unknown): err is SynqxError & { details: OverlapDetails } {
  return err instanceof SynqxError && err.code === 'CONFLICT' && typeof (err.details as OverlapDetails)?.running_job_id === 'number';
}

/**
 * Admits one run inside `tx`: locks the pipeline row, pins the version, counts active jobs and
 * inserts the job and its run. Concurrent admissions for one pipeline queue on the row lock, so
 * max_parallel_runs holds under any burst (the count and the insert are one atomic step), and
 * run_number is assigned under the same lock.
 */
export async function admit(tx: Queryable, req: AdmissionRequest): Promise<Admitted> {
  const pipeline = await jobStateRepo.lockPipeline(tx, req.pipelineId);
  if (!pipeline) throw SynqxError.notFound('pipeline', req.pipelineId);
  if (pipeline.status === 'archived') throw SynqxError.conflict(`pipeline ${pipeline.id} is archived`);
  if (pipeline.status === 'paused' && req.refusePaused) throw SynqxError.conflict(`pipeline ${pipeline.id} is paused`);
  const versionId = req.versionId ?? pipeline.current_version_id;
  if (versionId === null) throw SynqxError.conflict(`pipeline ${pipeline.id} has no published version; publish one or pass version_id`);
  const version = await jobStateRepo.runnableVersion(tx, pipeline.id, versionId);
  if (!version) throw SynqxError.notFound(`version ${versionId} of pipeline`, pipeline.id);
  const active = await jobStateRepo.activeJobs(tx, pipeline.id);
  if (active.length >= pipeline.max_parallel_runs) {
    const first = active[0]!;
    const details: OverlapDetails = {
      running_job_id: first.id,
      running_job_status: first.status,
      active_job_ids: active.map((a) => a.id),
      max_parallel_runs: pipeline.max_parallel_runs,
    };
    throw SynqxError.conflict(
      `pipeline ${pipeline.id} already has ${active.length} active run(s) (max_parallel_runs=${pipeline.max_parallel_runs}): job ${first.id} is ${first.status}`,
      details,
    );
  }
  const job = await runRepo.insertJob(tx, {
    pipelineId: pipeline.id,
    versionId: version.id,
    triggerType: req.triggerType,
    triggerPayload: req.payload,
    maxRetries: version.max_retries,
    retryOfJobId: req.retryOfJobId ?? null,
  });
  const run = await runRepo.insertRun(tx, job, version.node_count);
  await runRepo.appendJobLog(
    tx,
    job.id,
    'info',
    `job created by ${req.triggerType} trigger for version ${version.version}` + (req.retryOfJobId ? ` (retry of job ${req.retryOfJobId})` : ''),
    { status: 'pending', pipeline_version_id: version.id, run_id: run.id, max_retries: version.max_retries },
    'dispatcher',
  );
  return { job, run, pipeline, version };
}

/**
 * After the admission committed: pending → queued, then onto the queue. Queued comes first so a
 * worker that picks the job up at once finds it queued; a failed enqueue fails the job (503).
 */
export async function enqueueAdmitted(db: Db, producer: JobProducer, { job, pipeline }: Pick<Admitted, 'job' | 'pipeline'>): Promise<JobRow> {
  const queued = await moveJob(db, job.id, ['pending'], 'queued', {
    message: `queued (${producer.mode === 'bullmq' ? 'BullMQ' : 'in-process queue'})`,
    fields: { queue_job_id: producer.queueJobId(job.id) },
  });
  if (!queued) return (await runRepo.getJob(db, job.id)) ?? job; // cancelled in between
  try {
    await producer.enqueue({ id: job.id, pipeline_id: job.pipeline_id, max_retries: job.max_retries, priority: pipeline.priority });
  } catch (err) {
    const retryable = !(err instanceof SynqxError) || err.retryable;
    const message = err instanceof SynqxError ? err.message : 'the job queue is not reachable';
    await moveJob(db, job.id, ['queued'], 'failed', {
      level: 'error',
      message: `could not be queued: ${message}`,
      fields: { error_code: 'UNAVAILABLE', error_message: message },
      closeRun: 'failed',
    });
    throw new SynqxError('UNAVAILABLE', `job ${job.id} could not be queued: ${message}`, { cause: err, retryable });
  }
  return queued;
}
