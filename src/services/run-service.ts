import { SynqxError } from '../core/errors.js';
import type { Logger } from '../platform/logger.js';
import type { Db } from '../store/db.js';
import { jobQueryRepo, type JobFilter, type JobListRow, type RunFilter } from '../store/repos/job-query-repo.js';
import { jobStateRepo } from '../store/repos/job-state-repo.js';
import { runRepo, type JobRow, type LogLevel, type LogRow, type RunRow, type StepRunRow } from '../store/repos/run-repo.js';
import { admit, enqueueAdmitted, type AdmissionRequest, type Admitted } from './job-admission.js';
import { jobEventStream, waitForJobEnd, type JobEvent } from './job-events.js';
import { isFinished, moveJob } from './job-lifecycle.js';
import type { JobProducer } from './job-producer.js';

export interface RunServiceDeps {
  db: Db;
  logger: Logger;
  producer: JobProducer;
  /** How often waits and event feeds look at the job. */
  pollMs: number;
}

export interface TriggerInput {
  versionId?: number;
  runParams?: Record<string, unknown>;
  triggerType: 'manual' | 'api' | 'cli';
}

export interface CancelResult {
  job_id: number;
  status: 'cancelled' | 'cancelling';
  message: string;
}

export type RunDetail = RunRow & { step_runs: StepRunRow[] };

/** Runs as use cases: trigger (admission + queue), cancel, retry, wait, and the read side of jobs and runs. */
export class RunService {
  constructor(private readonly deps: RunServiceDeps) {}

  get mode(): JobProducer['mode'] {
    return this.deps.producer.mode;
  }

  /** Admits a run of the pipeline (409 when max_parallel_runs is reached) and queues it. */
  async trigger(pipelineId: number, input: TriggerInput): Promise<Admitted> {
    const payload: Record<string, unknown> = {};
    if (input.runParams !== undefined) payload.run_params = input.runParams;
    return this.admitAndQueue({ pipelineId, versionId: input.versionId, triggerType: input.triggerType, payload });
  }

  /** Shared by triggers, retries and schedule firings: one transaction to admit, then the queue. */
  async admitAndQueue(req: AdmissionRequest): Promise<Admitted> {
    const admitted = await this.deps.db.transaction((tx) => admit(tx, req));
    const job = await enqueueAdmitted(this.deps.db, this.deps.producer, admitted);
    this.deps.logger.info({ jobId: job.id, pipelineId: req.pipelineId, runId: admitted.run.id, trigger: req.triggerType }, 'job queued');
    return { ...admitted, job };
  }

  /**
   * A job that has not started is cancelled at once; a running one is asked to stop wherever it
   * runs (the worker ends it `cancelled` within seconds). Cancelled jobs are never retried.
   */
  async cancel(jobId: number, reason?: string): Promise<CancelResult> {
    const job = await this.job(jobId);
    if (isFinished(job.status)) throw SynqxError.conflict(`job ${jobId} is already ${job.status}`);
    const why = reason?.trim() || 'cancelled by request';
    const requested = await jobStateRepo.requestCancel(this.deps.db, jobId, why);
    if (!requested) throw SynqxError.conflict(`job ${jobId} is already ${(await this.job(jobId)).status}`);
    const stopped = await moveJob(this.deps.db, jobId, ['pending', 'queued', 'retrying'], 'cancelled', {
      message: `cancelled before it ran: ${why}`,
      fields: { error_code: 'CANCELLED', error_message: why },
      closeRun: 'cancelled',
    });
    if (stopped) {
      await this.deps.producer.dequeue(jobId).catch((err: unknown) => this.deps.logger.warn({ err, jobId }, 'could not drop a cancelled job from the queue'));
      return { job_id: jobId, status: 'cancelled', message: `job ${jobId} cancelled` };
    }
    const now = await this.job(jobId);
    if (now.status === 'cancelled') return { job_id: jobId, status: 'cancelled', message: `job ${jobId} cancelled` };
    if (isFinished(now.status)) throw SynqxError.conflict(`job ${jobId} is already ${now.status}`);
    await runRepo.appendJobLog(this.deps.db, jobId, 'warning', `cancel requested: ${why}`, { status: now.status }, 'dispatcher');
    await this.deps.producer.signalCancel(jobId);
    return { job_id: jobId, status: 'cancelling', message: `cancel requested; job ${jobId} stops within seconds` };
  }

  /**
   * Runs a finished job again as a new job linked to it (retry_of_job_id), on the same pinned
   * version. Successful jobs only with `force`.
   */
  async retry(jobId: number, force = false): Promise<Admitted> {
    const job = await this.job(jobId);
    if (!isFinished(job.status)) throw SynqxError.conflict(`job ${jobId} is still ${job.status}; cancel it first`);
    if (job.status === 'success' && !force) throw SynqxError.conflict(`job ${jobId} succeeded; pass "force": true to run it again`);
    const previous = job.trigger_payload ?? {};
    return this.admitAndQueue({
      pipelineId: job.pipeline_id,
      versionId: job.pipeline_version_id,
      triggerType: 'retry',
      payload: { ...previous, retry_of_job_id: jobId },
      retryOfJobId: jobId,
    });
  }

  /** The finished job, or undefined when `timeoutMs` passed first. */
  async waitForEnd(jobId: number, timeoutMs: number, signal?: AbortSignal): Promise<JobRow | undefined> {
    return waitForJobEnd(this.deps.db, jobId, { pollMs: this.deps.pollMs, timeoutMs, signal });
  }

  async listJobs(filter: JobFilter): Promise<{ jobs: JobListRow[]; total: number; limit: number; offset: number }> {
    const { rows, total } = await jobQueryRepo.listJobs(this.deps.db, filter);
    return { jobs: rows, total, limit: filter.limit, offset: filter.offset };
  }

  async getJob(jobId: number): Promise<JobListRow & { retried_by_job_ids: number[] }> {
    const job = await jobQueryRepo.getJob(this.deps.db, jobId);
    if (!job) throw SynqxError.notFound('job', jobId);
    return { ...job, retried_by_job_ids: await jobQueryRepo.retriesOf(this.deps.db, jobId) };
  }

  async jobLogs(jobId: number, opts: { level?: LogLevel; afterId?: number; limit: number }): Promise<{ job_id: number; logs: LogRow[] }> {
    await this.job(jobId);
    return { job_id: jobId, logs: await runRepo.jobLogs(this.deps.db, jobId, opts) };
  }

  async listRuns(filter: RunFilter): Promise<{ runs: RunRow[]; total: number; limit: number; offset: number }> {
    const { rows, total } = await jobQueryRepo.listRuns(this.deps.db, filter);
    return { runs: rows, total, limit: filter.limit, offset: filter.offset };
  }

  async getRun(runId: number): Promise<RunDetail> {
    const run = await runRepo.getRun(this.deps.db, runId);
    if (!run) throw SynqxError.notFound('run', runId);
    return { ...run, step_runs: await runRepo.stepsOfRun(this.deps.db, runId) };
  }

  async runSteps(runId: number): Promise<{ run_id: number; steps: StepRunRow[] }> {
    const run = await runRepo.getRun(this.deps.db, runId);
    if (!run) throw SynqxError.notFound('run', runId);
    return { run_id: runId, steps: await runRepo.stepsOfRun(this.deps.db, runId) };
  }

  async stepLogs(runId: number, stepId: number, opts: { level?: LogLevel; afterId?: number; limit: number }) {
    const step = await runRepo.getStep(this.deps.db, runId, stepId);
    if (!step) throw SynqxError.notFound(`step ${stepId} of run`, runId);
    return { run_id: runId, step_run_id: stepId, logs: await runRepo.stepLogs(this.deps.db, stepId, opts) };
  }

  /** The live feed of a job (404 before the stream starts when there is no such job). */
  async events(jobId: number, signal: AbortSignal, afterLogId?: number): Promise<AsyncGenerator<JobEvent>> {
    await this.job(jobId);
    return jobEventStream(this.deps.db, jobId, { pollMs: Math.max(this.deps.pollMs, 200), signal, afterLogId });
  }

  private async job(jobId: number): Promise<JobRow> {
    const job = await runRepo.getJob(this.deps.db, jobId);
    if (!job) throw SynqxError.notFound('job', jobId);
    return job;
  }
}
