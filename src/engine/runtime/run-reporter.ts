import type { ErrorCode } from '../../core/errors.js';
import type { StepCounters } from '../../core/step-counters.js';

/** Per-step counters, cumulative (each report carries the totals so far, never deltas). Names match step_runs. */
export { zeroCounters, type StepCounters } from '../../core/step-counters.js';

export type StepKind = 'source' | 'transform' | 'sink';
/** Final step statuses (step_runs.status); `pending`/`running` are implied by started/finished events. */
export type StepStatus = 'success' | 'warning' | 'failed' | 'skipped';
/** Final run statuses (pipeline_runs.status). */
export type RunStatus = 'completed' | 'failed' | 'cancelled';
export type ReportLogLevel = 'debug' | 'info' | 'warning' | 'error';

export interface ReportedError {
  code: ErrorCode;
  message: string;
  /** The step the failure started in, when there is one. */
  stepId?: string;
}

export interface StepDescriptor {
  stepId: string;
  kind: StepKind;
  /** What the step works on, for log lines: `public.users`, `filter`. */
  label: string;
  order: number;
}

export interface RunTotals {
  /** Rows read by every source. */
  total_extracted: number;
  /** Rows committed by every sink. */
  total_loaded: number;
  /** Rows that errored (quarantined or rejected) in any step. */
  total_failed: number;
  /** Bytes read by every source. */
  bytes_processed: number;
}

export interface RunStartedEvent {
  at: Date;
  steps: StepDescriptor[];
}

export interface StepStartedEvent {
  stepId: string;
  at: Date;
}

export interface StepProgressEvent {
  stepId: string;
  at: Date;
  counters: StepCounters;
}

export interface StepFinishedEvent {
  stepId: string;
  status: StepStatus;
  counters: StepCounters;
  /** Absent for skipped steps, which never started. */
  startedAt?: Date;
  finishedAt: Date;
  durationSeconds: number;
  error?: ReportedError;
}

export interface LogEvent {
  level: ReportLogLevel;
  message: string;
  at: Date;
  /** Absent for run-level lines (job_logs); set for step lines (step_logs). */
  stepId?: string;
  metadata?: Record<string, unknown>;
}

export interface RunFinishedEvent {
  status: RunStatus;
  at: Date;
  durationSeconds: number;
  totals: RunTotals;
  error?: ReportedError;
}

/**
 * How the engine tells the outside world what a run is doing; the engine never imports the store.
 * The coordinator calls these in order, one at a time (it awaits each before the next), but never on
 * the data path: a slow reporter delays reports, not batches. Order per run:
 * runStarted → (stepStarted | stepProgress | log)* → stepFinished for every step → runFinished.
 * Progress is reported every `progressIntervalMs` while a step's counters change, and once more in
 * stepFinished. A reporter that throws does not fail the run; the error is returned in the RunResult.
 */
export interface RunReporter {
  runStarted(event: RunStartedEvent): void | Promise<void>;
  stepStarted(event: StepStartedEvent): void | Promise<void>;
  stepProgress(event: StepProgressEvent): void | Promise<void>;
  stepFinished(event: StepFinishedEvent): void | Promise<void>;
  log(event: LogEvent): void | Promise<void>;
  runFinished(event: RunFinishedEvent): void | Promise<void>;
}

/** A reporter that drops everything (CLI runs that only want the RunResult). */
export const nullRunReporter: RunReporter = {
  runStarted() {},
  stepStarted() {},
  stepProgress() {},
  stepFinished() {},
  log() {},
  runFinished() {},
};
