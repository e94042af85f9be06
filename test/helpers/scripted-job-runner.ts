import { setTimeout as delay } from 'node:timers/promises';
import { SynqxError } from '../../src/core/errors.js';
import type { JobOutcome, JobRunner } from '../../src/services/job-runner.js';
import type { Db } from '../../src/store/db.js';
import { runRepo } from '../../src/store/repos/run-repo.js';

/**
 * What a scripted run does, read from the job's run_params.script (so a runner in another process
 * needs no setup): sleep while reporting progress, fail transiently or permanently, honour cancel.
 */
export interface RunScript {
  sleep_ms?: number;
  rows?: number;
  fail?: 'transient' | 'permanent';
  /** Transient failures stop after this many attempts (default: every attempt fails). */
  fail_times?: number;
  /** When the run already started once (a re-run after a stall or shutdown), sleep this long instead. */
  rerun_sleep_ms?: number;
}

export interface RunnerCall {
  jobId: number;
  attempt: number;
  workerId: string;
}

/**
 * A JobRunner for dispatch tests: it moves no data; it writes the run row and step rows through
 * runRepo as the engine would, so counters, rows/s and cancel behaviour can be observed.
 */
export class ScriptedJobRunner implements JobRunner {
  readonly calls: RunnerCall[] = [];

  constructor(
    private readonly db: Db,
    private readonly tickMs = 100,
  ) {}

  async run(jobId: number, signal: AbortSignal, ctx: { workerId: string; attempt: number }): Promise<JobOutcome> {
    this.calls.push({ jobId, attempt: ctx.attempt, workerId: ctx.workerId });
    const db = this.db;
    const job = (await runRepo.getJob(db, jobId))!;
    const script = ((job.trigger_payload.run_params as { script?: RunScript } | undefined)?.script ?? {}) as RunScript;
    const run = await runRepo.getRunByJob(db, jobId);
    if (!run) return { status: 'failed', error: new SynqxError('INTERNAL', `no run row for job ${jobId}`) };
    const rerun = run.started_at !== null;
    // Started first, logged second: a test that sees this log line knows a later attempt is a re-run.
    await runRepo.updateRun(db, run.id, { status: 'running', started: true });
    await runRepo.appendJobLog(db, jobId, 'info', `runner attempt ${ctx.attempt} on ${ctx.workerId}`, { attempt: ctx.attempt, worker_id: ctx.workerId, rerun }, 'runner');
    let steps = await runRepo.stepsOfRun(db, run.id);
    if (steps.length === 0) {
      const nodes = await db.query<{ id: number; node_id: string; operator_type: string; order_index: number }>(
        'SELECT id, node_id, operator_type, order_index FROM pipeline_nodes WHERE pipeline_version_id = $1 ORDER BY order_index',
        [job.pipeline_version_id],
      );
      steps = await runRepo.insertSteps(
        db,
        run.id,
        nodes.rows.map((n) => ({ nodeDbId: n.id, nodeKey: n.node_id, operatorType: n.operator_type, orderIndex: n.order_index })),
      );
    }
    for (const s of steps) await runRepo.updateStep(db, s.id, { status: 'running', started: true });
    const finish = async (status: 'completed' | 'failed' | 'cancelled', message?: string) => {
      await runRepo.updateRun(db, run.id, { status, error_message: message, finished: true });
      for (const s of steps) await runRepo.updateStep(db, s.id, { status: status === 'completed' ? 'success' : 'failed', finished: true });
    };
    if (script.fail === 'permanent') {
      await finish('failed', 'scripted permanent failure');
      return { status: 'failed', error: new SynqxError('DATA_ERROR', 'scripted permanent failure') };
    }
    if (script.fail === 'transient' && (script.fail_times === undefined || ctx.attempt <= script.fail_times)) {
      await finish('failed', 'scripted transient failure');
      return { status: 'failed', error: new SynqxError('CONNECTION_FAILED', `scripted transient failure (attempt ${ctx.attempt})`, { retryable: true }) };
    }
    const total = rerun && script.rerun_sleep_ms !== undefined ? script.rerun_sleep_ms : (script.sleep_ms ?? 0);
    const rows = script.rows ?? 0;
    const started = Date.now();
    while (Date.now() - started < total && !signal.aborted) {
      try {
        await delay(Math.min(this.tickMs, total - (Date.now() - started)), undefined, { signal });
      } catch {
        break;
      }
      const done = Math.floor(rows * Math.min(1, (Date.now() - started) / total));
      await runRepo.updateRun(db, run.id, { total_extracted: done, total_loaded: done });
      for (const s of steps) await runRepo.updateStep(db, s.id, { records_in: done, records_out: done });
    }
    if (signal.aborted) {
      await finish('cancelled', 'stopped');
      return { status: 'cancelled', error: new SynqxError('CANCELLED', 'stopped') };
    }
    await runRepo.updateRun(db, run.id, { total_extracted: rows, total_loaded: rows, bytes_processed: rows * 10 });
    for (const s of steps) await runRepo.updateStep(db, s.id, { records_in: rows, records_out: rows, bytes_processed: rows * 10 });
    await finish('completed');
    return { status: 'success', totals: { extracted: rows, loaded: rows, failed: 0, bytes: rows * 10, durationSeconds: (Date.now() - started) / 1000 } };
  }
}
