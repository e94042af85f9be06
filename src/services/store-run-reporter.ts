import type {
  LogEvent,
  RunFinishedEvent,
  RunReporter,
  RunStartedEvent,
  StepCounters,
  StepFinishedEvent,
  StepProgressEvent,
  StepStartedEvent,
} from '../engine/runtime/run-reporter.js';
import type { Db, Queryable } from '../store/db.js';
import { runRepo, type LogLevel, type NewStep, type RunRow, type StepRunRow } from '../store/repos/run-repo.js';

/**
 * Puts a run record back to its starting state for one execution of its job, and returns its
 * step rows by node_key. The run row was created at trigger time; a job can be executed more than
 * once (transient-failure retry, re-run after a stalled worker, re-queue at shutdown), so steps are
 * upserted on (pipeline_run_id, node_key) with their counters, statuses and errors cleared, and
 * retry_count counting the executions after the first.
 */
export async function resetRunRecord(db: Db, run: RunRow, steps: NewStep[]): Promise<Map<string, StepRunRow>> {
  return db.transaction(async (tx) => {
    await tx.query(
      `UPDATE pipeline_runs SET status = 'running', total_nodes = $2, total_extracted = 0, total_loaded = 0, total_failed = 0,
         bytes_processed = 0, error_message = NULL, started_at = now(), completed_at = NULL, duration_seconds = NULL
       WHERE id = $1`,
      [run.id, steps.length],
    );
    const out = new Map<string, StepRunRow>();
    for (const s of steps) out.set(s.nodeKey, await upsertStep(tx, run.id, s));
    return out;
  });
}

async function upsertStep(q: Queryable, runId: number, s: NewStep): Promise<StepRunRow> {
  const { rows } = await q.query<StepRunRow>(
    `INSERT INTO step_runs (pipeline_run_id, node_id, node_key, operator_type, order_index)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (pipeline_run_id, node_key) DO UPDATE SET
       node_id = excluded.node_id, operator_type = excluded.operator_type, order_index = excluded.order_index,
       status = 'pending', records_in = 0, records_out = 0, records_filtered = 0, records_error = 0, bytes_processed = 0,
       retry_count = step_runs.retry_count + 1, error_code = NULL, error_message = NULL,
       started_at = NULL, completed_at = NULL, duration_seconds = NULL, updated_at = now()
     RETURNING *`,
    [runId, s.nodeDbId, s.nodeKey, s.operatorType, s.orderIndex],
  );
  return rows[0]!;
}

const LEVEL: Record<LogEvent['level'], LogLevel> = { debug: 'debug', info: 'info', warning: 'warning', error: 'error' };

/**
 * Writes what the engine reports into the run record: step statuses and counters (every progress
 * report while running, and at the end), step_logs and job_logs lines, and the run's totals and
 * final state. The coordinator calls it one event at a time, off the data path.
 *
 * Final step statuses are written together with the run's, once the step the failure started in is
 * known: a step after it (in run order) that the failure stopped before it finished is `skipped`
 * (for a sink: its rows were rolled back), with the reason; the failing step keeps its error code
 * and message. Steps that never started are `skipped` as the engine says.
 */
export class StoreRunReporter implements RunReporter {
  private readonly order = new Map<string, number>();
  private readonly sources = new Set<string>();
  private readonly sourceCounters = new Map<string, StepCounters>();
  private readonly finished: StepFinishedEvent[] = [];

  constructor(
    private readonly db: Db,
    private readonly jobId: number,
    private readonly runId: number,
    /** step_runs rows by node_key (the engine's step id). */
    private readonly steps: Map<string, StepRunRow>,
  ) {}

  private stepRow(stepId: string): StepRunRow | undefined {
    return this.steps.get(stepId);
  }

  async runStarted(event: RunStartedEvent): Promise<void> {
    event.steps.forEach((s, i) => this.order.set(s.stepId, i));
    for (const s of event.steps) if (s.kind === 'source') this.sources.add(s.stepId);
    await runRepo.updateRun(this.db, this.runId, { status: 'running', started: true });
  }

  async stepStarted(event: StepStartedEvent): Promise<void> {
    const row = this.stepRow(event.stepId);
    if (row) await runRepo.updateStep(this.db, row.id, { status: 'running', started: true });
  }

  async stepProgress(event: StepProgressEvent): Promise<void> {
    const row = this.stepRow(event.stepId);
    if (row) await runRepo.updateStep(this.db, row.id, { ...event.counters });
    if (this.sources.has(event.stepId)) {
      // The run's live extract totals, so a running run's page moves too (loads count at commit).
      this.sourceCounters.set(event.stepId, event.counters);
      let rows = 0;
      let bytes = 0;
      for (const c of this.sourceCounters.values()) [rows, bytes] = [rows + c.records_out, bytes + c.bytes_processed];
      await runRepo.updateRun(this.db, this.runId, { total_extracted: rows, bytes_processed: bytes });
    }
  }

  stepFinished(event: StepFinishedEvent): void {
    this.finished.push(event);
  }

  async log(event: LogEvent): Promise<void> {
    const row = event.stepId === undefined ? undefined : this.stepRow(event.stepId);
    const meta = event.metadata;
    if (row) await runRepo.appendStepLog(this.db, row.id, LEVEL[event.level], event.message, meta, 'engine');
    else await runRepo.appendJobLog(this.db, this.jobId, LEVEL[event.level], event.message, meta, 'engine');
  }

  async runFinished(event: RunFinishedEvent): Promise<void> {
    const failedAt = event.status === 'failed' && event.error?.stepId !== undefined ? this.order.get(event.error.stepId) : undefined;
    await this.db.transaction(async (tx) => {
      for (const s of this.finished) {
        const row = this.stepRow(s.stepId);
        if (!row) continue;
        const stoppedLater = s.status === 'failed' && s.error?.code === 'CANCELLED' && failedAt !== undefined && (this.order.get(s.stepId) ?? -1) > failedAt;
        const status = stoppedLater ? 'skipped' : s.status;
        const error = stoppedLater ? { code: undefined, message: `skipped: step ${event.error!.stepId} failed` } : s.error;
        await runRepo.updateStep(tx, row.id, {
          ...s.counters,
          status,
          error_code: error?.code,
          error_message: error?.message,
          finished: true,
        });
        // updateStep only stamps a duration on started steps; the engine's is exact either way.
        await tx.query('UPDATE step_runs SET duration_seconds = $2 WHERE id = $1', [row.id, s.startedAt ? s.durationSeconds : null]);
      }
      const t = event.totals;
      await runRepo.updateRun(tx, this.runId, {
        status: event.status,
        total_extracted: t.total_extracted,
        total_loaded: t.total_loaded,
        total_failed: t.total_failed,
        bytes_processed: t.bytes_processed,
        error_message: event.error?.message,
        finished: true,
      });
    });
  }
}
