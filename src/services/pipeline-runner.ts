import { SynqxError, isSynqxError } from '../core/errors.js';
import type { ExecutionPlan } from '../engine/plan/compile.js';
import { runGraph, type RunResult } from '../engine/runtime/coordinator.js';
import type { TransformPool } from '../engine/runtime/transform-pool.js';
import type { Logger } from '../platform/logger.js';
import type { Db } from '../store/db.js';
import { runRepo, type JobRow, type RunRow, type StepRunRow } from '../store/repos/run-repo.js';
import type { ConnectionService } from './connection-service.js';
import type { JobOutcome, JobRunner } from './job-runner.js';
import type { PipelineService } from './pipeline-service.js';
import { StoreChunkCheckpoints } from './load-checkpoints.js';
import { pipelineSalt } from './pipeline-salt.js';
import { planToGraph } from './plan-to-graph.js';
import { quarantineTargets } from './quarantine-targets.js';
import { StoreRunReporter, resetRunRecord } from './store-run-reporter.js';

export interface PipelineRunnerDeps {
  db: Db;
  logger: Logger;
  connections: ConnectionService;
  pipelines: PipelineService;
  /** Master secret the per-pipeline transform salt is derived from (pipeline-salt.ts); the API's MASTER_PASSWORD. */
  saltSecret: string;
  /**
   * Where transforms run; the caller owns it and closes it. By default they run inline on the
   * worker's thread: on small machines (2 cores measured) the COPY decode/encode and the two
   * Postgres servers already use every core, and shipping batches to threads only added copies.
   * Give a threads pool on bigger machines with heavy transforms.
   */
  pool?: TransformPool;
  /** How often running steps' counters are flushed to step_runs (default: the engine's 2 s). */
  progressIntervalMs?: number;
  /** Batches each edge holds (default: the engine's 2). */
  mailboxDepth?: number;
}

export function createPipelineRunner(deps: PipelineRunnerDeps): PipelineRunner {
  return new PipelineRunner(deps);
}

type Prepared = { kind: 'ready'; plan: ExecutionPlan; steps: Map<string, StepRunRow> } | { kind: 'done'; outcome: JobOutcome };

/**
 * Executes one dispatched job with the data-plane engine: compiles the job's pinned version, resets
 * the run record created at trigger time (a job may execute several times), opens the nodes'
 * sources and sinks through their connectors, runs the graph and records everything as it goes
 * (StoreRunReporter). It resolves with the outcome and never throws for a failed run; the job's own
 * status is the dispatcher's.
 */
export class PipelineRunner implements JobRunner {
  constructor(private readonly deps: PipelineRunnerDeps) {}

  async run(jobId: number, signal: AbortSignal, context: { workerId: string; attempt: number }): Promise<JobOutcome> {
    const { db } = this.deps;
    const log = this.deps.logger.child({ jobId, workerId: context.workerId, attempt: context.attempt });
    const job = await runRepo.getJob(db, jobId);
    const run = job && (await runRepo.getRunByJob(db, jobId));
    if (!job || !run) {
      const error = new SynqxError('INTERNAL', job ? `job ${jobId} has no pipeline run record` : `job ${jobId} does not exist`, { domain: 'internal' });
      log.error({ code: error.code }, error.message);
      return { status: 'failed', error };
    }
    const prepared = await this.prepare(job, run, signal, context);
    if (prepared.kind === 'done') return prepared.outcome;
    let graph;
    let checkpoints: StoreChunkCheckpoints;
    try {
      checkpoints = await StoreChunkCheckpoints.forJob(db, job.id, prepared.steps);
      const resolver = { findUsable: (ids: readonly number[]) => this.deps.connections.assets.findUsable(ids), open: (id: number) => this.deps.connections.open(id) };
      graph = await planToGraph(prepared.plan, resolver, checkpoints);
    } catch (err) {
      return this.endEarly(job, run, prepared.steps, err, signal);
    }
    const reporter = new StoreRunReporter(db, job.id, run.id, prepared.steps);
    const result = await runGraph(graph, {
      signal,
      reporter,
      pool: this.deps.pool,
      salt: pipelineSalt(this.deps.saltSecret, job.pipeline_id),
      progressIntervalMs: this.deps.progressIntervalMs,
      mailboxDepth: this.deps.mailboxDepth,
    });
    if (result.reporterErrors.length > 0) await this.rewriteFinal(reporter, result, log);
    if (result.status === 'completed') await this.completeCheckpoints(checkpoints, log);
    log.info({ status: result.status, extracted: result.totals.total_extracted, loaded: result.totals.total_loaded, code: result.error?.code }, 'run finished');
    return outcomeOf(result);
  }

  /** Compiles the pinned version and resets the run record; a failure here ends the run before any data moves. */
  private async prepare(job: JobRow, run: RunRow, signal: AbortSignal, context: { workerId: string; attempt: number }): Promise<Prepared> {
    const { db, pipelines } = this.deps;
    let steps = new Map<string, StepRunRow>();
    try {
      const { version, plan } = await pipelines.compile(job.pipeline_id, job.pipeline_version_id);
      const rerun = run.started_at !== null;
      const stored = (nodeId: string, dbId: number | undefined) => {
        if (dbId === undefined) throw new SynqxError('INTERNAL', `node "${nodeId}" of version ${version.id} has no stored id`, { domain: 'internal' });
        return dbId;
      };
      steps = await resetRunRecord(db, run, [
        ...plan.nodes.map((n) => ({ nodeDbId: stored(n.nodeId, n.dbId), nodeKey: n.nodeId, operatorType: n.operatorType, orderIndex: n.orderIndex })),
        // A quarantine load is a step of its own, recorded under its transform's node row.
        ...quarantineTargets(plan).map((q) => ({ nodeDbId: stored(q.nodeId, q.dbId), nodeKey: q.stepId, operatorType: 'load', orderIndex: q.orderIndex })),
      ]);
      const again = rerun ? '; the previous execution was reset' : '';
      await runRepo.appendJobLog(db, job.id, 'info', `run ${run.run_number} (version ${version.version}) starting on worker ${context.workerId}, attempt ${context.attempt}${again}`, {
        attempt: context.attempt,
        worker_id: context.workerId,
        rerun,
      });
      if (signal.aborted) return { kind: 'done', outcome: await this.endEarly(job, run, steps, signal.reason, signal) };
      return { kind: 'ready', plan, steps };
    } catch (err) {
      return { kind: 'done', outcome: await this.endEarly(job, run, steps, err, signal) };
    }
  }

  /** Records a run that ended before the engine started: failed (or cancelled), every step skipped. */
  private async endEarly(job: JobRow, run: RunRow, steps: Map<string, StepRunRow>, err: unknown, signal: AbortSignal): Promise<JobOutcome> {
    const { db } = this.deps;
    const cancelled = signal.aborted;
    const error = cancelled ? new SynqxError('CANCELLED', `run cancelled before it started: ${reasonText(signal.reason)}`) : asSynqxError(err);
    const status = cancelled ? 'cancelled' : 'failed';
    try {
      await db.transaction(async (tx) => {
        for (const s of steps.values()) await runRepo.updateStep(tx, s.id, { status: 'skipped', error_message: `skipped: ${error.message}`, finished: true });
        await runRepo.updateRun(tx, run.id, { status, error_message: error.message, started: true, finished: true });
        await runRepo.appendJobLog(tx, job.id, cancelled ? 'warning' : 'error', `run ${status} before it started: ${error.code}: ${error.message}`, undefined, 'runner');
      });
    } catch (writeErr) {
      this.deps.logger.error({ jobId: job.id, err: writeErr }, 'could not record the end of a run');
    }
    return { status, error };
  }

  /** Chunked loads finished; failing to say so only risks a later re-run of this job skipping rows, so it is logged, not fatal. */
  private async completeCheckpoints(checkpoints: StoreChunkCheckpoints, log: Logger): Promise<void> {
    try {
      await checkpoints.completed();
    } catch (err) {
      log.error({ err }, 'could not mark the chunked-load checkpoints complete');
    }
  }

  /** A reporter write failed (say the metadata store blinked): try the final state once more. */
  private async rewriteFinal(reporter: StoreRunReporter, result: RunResult, log: Logger): Promise<void> {
    log.warn({ errors: result.reporterErrors.length }, 'some run-record writes failed; writing the final state again');
    const e = result.error;
    const failing = result.steps.find((s) => s.status === 'failed' && s.error?.code !== 'CANCELLED');
    try {
      await reporter.runFinished({
        status: result.status,
        at: result.finishedAt,
        durationSeconds: result.durationSeconds,
        totals: result.totals,
        error: e && { code: e.code, message: e.message, stepId: failing?.stepId },
      });
    } catch (err) {
      log.error({ err }, 'could not record the final state of the run');
    }
  }
}

function outcomeOf(result: RunResult): JobOutcome {
  const t = result.totals;
  const totals = { extracted: t.total_extracted, loaded: t.total_loaded, failed: t.total_failed, bytes: t.bytes_processed, durationSeconds: result.durationSeconds };
  if (result.status === 'completed') return { status: 'success', totals };
  return { status: result.status, error: result.error ?? new SynqxError('INTERNAL', `run ${result.status} without an error`, { domain: 'internal' }), totals };
}

function asSynqxError(err: unknown): SynqxError {
  if (isSynqxError(err)) return err;
  return new SynqxError('INTERNAL', `the run could not start: ${err instanceof Error ? err.message : String(err)}`, { domain: 'internal', cause: err });
}

function reasonText(reason: unknown): string {
  return reason instanceof Error ? reason.message : reason === undefined ? 'cancelled' : String(reason);
}
