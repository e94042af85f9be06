import { zeroCounters, type StepCounters, type StepDescriptor } from './run-reporter.js';

/**
 * One step's live state: counters (bumped at batch boundaries, never per row), when it started and
 * finished its work, and whether its counters changed since the last progress report.
 */
export class StepMeter {
  readonly counters: StepCounters = zeroCounters();
  startedAt: Date | undefined;
  /** Set when the step did all of its work (a sink: wrote everything; commit is tracked separately). */
  finishedAt: Date | undefined;
  private version = 0;
  private reportedVersion = 0;

  constructor(readonly step: StepDescriptor) {}

  get started(): boolean {
    return this.startedAt !== undefined;
  }

  get done(): boolean {
    return this.finishedAt !== undefined;
  }

  /** Marks the step started; returns true the first time only. */
  start(): boolean {
    if (this.startedAt) return false;
    this.startedAt = new Date();
    return true;
  }

  finish(): void {
    this.finishedAt ??= new Date();
  }

  add(delta: Partial<StepCounters>): void {
    const c = this.counters;
    c.records_in += delta.records_in ?? 0;
    c.records_out += delta.records_out ?? 0;
    c.records_filtered += delta.records_filtered ?? 0;
    c.records_error += delta.records_error ?? 0;
    c.bytes_processed += delta.bytes_processed ?? 0;
    this.version++;
  }

  set(values: Partial<StepCounters>): void {
    Object.assign(this.counters, values);
    this.version++;
  }

  /** True when counters changed since the last call (which marks them reported). */
  takeChanged(): boolean {
    if (this.version === this.reportedVersion) return false;
    this.reportedVersion = this.version;
    return true;
  }

  elapsedSeconds(until = new Date()): number {
    return this.startedAt ? (until.getTime() - this.startedAt.getTime()) / 1000 : 0;
  }
}
