import type {
  LogEvent,
  RunFinishedEvent,
  RunReporter,
  RunStartedEvent,
  StepFinishedEvent,
  StepProgressEvent,
  StepStartedEvent,
} from './run-reporter.js';

export type RecordedEvent =
  | { type: 'runStarted'; event: RunStartedEvent }
  | { type: 'stepStarted'; event: StepStartedEvent }
  | { type: 'stepProgress'; event: StepProgressEvent }
  | { type: 'stepFinished'; event: StepFinishedEvent }
  | { type: 'log'; event: LogEvent }
  | { type: 'runFinished'; event: RunFinishedEvent };

/** Keeps every report in memory, in order: for tests and for callers that print a summary. */
export class MemoryRunReporter implements RunReporter {
  readonly events: RecordedEvent[] = [];

  runStarted(event: RunStartedEvent): void {
    this.events.push({ type: 'runStarted', event });
  }
  stepStarted(event: StepStartedEvent): void {
    this.events.push({ type: 'stepStarted', event });
  }
  stepProgress(event: StepProgressEvent): void {
    this.events.push({ type: 'stepProgress', event: { ...event, counters: { ...event.counters } } });
  }
  stepFinished(event: StepFinishedEvent): void {
    this.events.push({ type: 'stepFinished', event });
  }
  log(event: LogEvent): void {
    this.events.push({ type: 'log', event });
  }
  runFinished(event: RunFinishedEvent): void {
    this.events.push({ type: 'runFinished', event });
  }

  /** The final report of each step, by step id. */
  get steps(): Map<string, StepFinishedEvent> {
    const out = new Map<string, StepFinishedEvent>();
    for (const e of this.events) if (e.type === 'stepFinished') out.set(e.event.stepId, e.event);
    return out;
  }

  get run(): RunFinishedEvent | undefined {
    for (const e of this.events) if (e.type === 'runFinished') return e.event;
    return undefined;
  }

  /** Log lines (messages), optionally for one step (`null`: run-level lines only). */
  logs(stepId?: string | null): string[] {
    return this.events
      .filter((e): e is RecordedEvent & { type: 'log' } => e.type === 'log')
      .filter((e) => stepId === undefined || (stepId === null ? e.event.stepId === undefined : e.event.stepId === stepId))
      .map((e) => e.event.message);
  }

  progress(stepId: string): StepProgressEvent[] {
    return this.events.filter((e): e is RecordedEvent & { type: 'stepProgress' } => e.type === 'stepProgress' && e.event.stepId === stepId).map((e) => e.event);
  }
}
