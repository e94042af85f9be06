import type { LoadResult } from '../../core/data-ports.js';
import type { SynqxError } from '../../core/errors.js';
import type { ReportedError, RunStatus, RunTotals, StepCounters, StepKind, StepStatus } from './run-reporter.js';
import type { RuntimeNode } from './runtime-graph.js';
import type { StepMeter } from './step-meter.js';

export interface StepResult {
  stepId: string;
  kind: StepKind;
  status: StepStatus;
  counters: StepCounters;
  startedAt?: Date;
  finishedAt: Date;
  durationSeconds: number;
  error?: ReportedError;
  /** Sinks that committed. */
  load?: LoadResult;
}

export interface RunResult {
  status: RunStatus;
  /** Why the run failed or was cancelled. */
  error?: SynqxError;
  /** Steps in topological order. */
  steps: StepResult[];
  totals: RunTotals;
  startedAt: Date;
  finishedAt: Date;
  durationSeconds: number;
  /** Reporter calls that threw; the run's outcome does not depend on them. */
  reporterErrors: unknown[];
}

// Two is enough to overlap producer and consumer; more mostly buys memory (16k-row batches are ~4 MB).

export interface RunFailure {
  error: SynqxError;
  /** The step the failure started in; absent for cancellation and run-level errors. */
  stepId?: string;
  cancelled: boolean;
}

/**
 * A step's final status: never started → skipped; the failure started here → failed with its error;
 * did all its work (a sink: committed) → success (warning with error rows); otherwise it was stopped
 * by someone else's failure or by cancellation → failed with CANCELLED. `records_out` of a sink means
 * rows loaded, so a rolled-back sink reports 0.
 */
export function stepOutcome(stepId: string, kind: StepKind, m: StepMeter, load: LoadResult | undefined, failure: RunFailure | undefined, finishedAt: Date): StepResult {
  const counters = { ...m.counters };
  if (kind === 'sink' && !load) counters.records_out = 0;
  const base = { stepId, kind, counters, startedAt: m.startedAt, finishedAt, durationSeconds: m.elapsedSeconds(finishedAt) };
  if (!m.started) return { ...base, status: 'skipped' };
  if (failure && failure.stepId === stepId) return { ...base, status: 'failed', error: { code: failure.error.code, message: failure.error.message } };
  if (m.done && (kind !== 'sink' || load)) {
    const status: StepStatus = counters.records_error > 0 ? 'warning' : 'success';
    return { ...base, status, load, durationSeconds: m.elapsedSeconds(m.finishedAt) };
  }
  const why = failure!.cancelled ? failure!.error.message : `stopped because step ${failure!.stepId ?? 'run'} failed`;
  return { ...base, status: 'failed', error: { code: 'CANCELLED', message: kind === 'sink' ? `rolled back: ${why}` : why } };
}

export function runTotals(steps: StepResult[]): RunTotals {
  const t: RunTotals = { total_extracted: 0, total_loaded: 0, total_failed: 0, bytes_processed: 0 };
  for (const s of steps) {
    if (s.kind === 'source') {
      t.total_extracted += s.counters.records_out;
      t.bytes_processed += s.counters.bytes_processed;
    }
    if (s.kind === 'sink' && s.load) t.total_loaded += s.load.rowsWritten;
    t.total_failed += s.counters.records_error;
  }
  return t;
}

export function describeSteps(nodes: RuntimeNode[]): string {
  const count = (k: StepKind) => nodes.filter((n) => n.kind === k).length;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return `${plural(nodes.length, 'step')} (${plural(count('source'), 'source')}, ${plural(count('transform'), 'transform')}, ${plural(count('sink'), 'sink')})`;
}
