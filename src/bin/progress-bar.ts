import { formatCount } from '../engine/runtime/format.js';
import type {
  LogEvent,
  RunReporter,
  RunStartedEvent,
  StepFinishedEvent,
  StepProgressEvent,
  StepStartedEvent,
} from '../engine/runtime/run-reporter.js';

export interface ProgressBarOptions {
  /** Where to draw (stderr, so stdout keeps only the summary). */
  out?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Redraw one line in place (TTY) or print a plain line every `plainIntervalMs`. Defaults to `out.isTTY`. */
  tty?: boolean;
  /** Rows the sources are expected to produce (known once they opened); drives the percentage and ETA. */
  estimatedRows?: () => number | undefined;
  plainIntervalMs?: number;
  /** Print every log line, not only warnings. */
  verbose?: boolean;
  /** Applied to every log line before printing (secrets scrubbing). */
  scrub?: (text: string) => string;
  now?: () => number;
}

const DEFAULT_PLAIN_INTERVAL_MS = 5000;

/**
 * A RunReporter that draws progress on a terminal: rows read, rows/s and an ETA from the source's
 * row estimate. Progress events carry cumulative counters, so the latest event of each source is
 * the whole truth and missed events cost nothing. The rate is the average since the first row
 * (steadier than a window for the ETA of a COPY that runs at a nearly constant speed).
 */
export class ProgressBar implements RunReporter {
  private readonly out: NodeJS.WritableStream;
  private readonly tty: boolean;
  private readonly sourceRows = new Map<string, number>();
  private readonly sinkRows = new Map<string, number>();
  private readonly kinds = new Map<string, string>();
  private startedAt = 0;
  private lastPlain = 0;
  private drawn = false;
  private readonly now: () => number;

  constructor(private readonly options: ProgressBarOptions = {}) {
    const out = options.out ?? process.stderr;
    this.out = out;
    this.tty = options.tty ?? Boolean(out.isTTY);
    this.now = options.now ?? Date.now;
  }

  runStarted(event: RunStartedEvent): void {
    this.startedAt = this.now();
    this.lastPlain = this.startedAt;
    for (const s of event.steps) this.kinds.set(s.stepId, s.kind);
  }

  stepStarted(_event: StepStartedEvent): void {}

  stepProgress(event: StepProgressEvent): void {
    this.record(event.stepId, event.counters.records_out, event.counters.records_in);
    const now = this.now();
    if (this.tty) return this.draw(`\r${this.line(now)}\x1b[K`);
    if (now - this.lastPlain < (this.options.plainIntervalMs ?? DEFAULT_PLAIN_INTERVAL_MS)) return;
    this.lastPlain = now;
    this.out.write(`${this.line(now)}\n`);
  }

  stepFinished(event: StepFinishedEvent): void {
    this.record(event.stepId, event.counters.records_out, event.counters.records_in);
  }

  log(event: LogEvent): void {
    if (!this.options.verbose && event.level !== 'warning') return;
    const text = this.options.scrub ? this.options.scrub(event.message) : event.message;
    this.clear();
    this.out.write(`${event.level === 'info' ? '' : `${event.level}: `}${text}\n`);
  }

  runFinished(): void {
    this.clear();
  }

  /** The current progress line, without control characters (for tests and plain output). */
  line(now = this.now()): string {
    const rows = sum(this.sourceRows);
    const secs = Math.max(0.001, (now - this.startedAt) / 1000);
    const rate = rows / secs;
    const estimate = this.options.estimatedRows?.();
    const parts = [];
    if (estimate !== undefined && estimate > 0) {
      const pct = Math.min(100, (rows / estimate) * 100);
      parts.push(`${bar(pct)} ${pct.toFixed(0).padStart(3)}%  ${formatCount(rows)} / ~${formatCount(estimate)} rows`);
    } else {
      parts.push(`${formatCount(rows)} rows`);
    }
    parts.push(`${formatCount(Math.round(rate))} rows/s`);
    const written = sum(this.sinkRows);
    if (this.sinkRows.size > 0 && written !== rows) parts.push(`${formatCount(written)} written`);
    if (estimate !== undefined && rate > 0) parts.push(rows >= estimate ? 'ETA soon' : `ETA ${duration((estimate - rows) / rate)}`);
    parts.push(`elapsed ${duration(secs)}`);
    return parts.join('  ');
  }

  private record(stepId: string, out: number, into: number): void {
    const kind = this.kinds.get(stepId);
    if (kind === 'source') this.sourceRows.set(stepId, out);
    else if (kind === 'sink') this.sinkRows.set(stepId, into);
  }

  private draw(text: string): void {
    this.drawn = true;
    this.out.write(text);
  }

  private clear(): void {
    if (!this.drawn) return;
    this.drawn = false;
    this.out.write('\r\x1b[K');
  }
}

function sum(m: Map<string, number>): number {
  let n = 0;
  for (const v of m.values()) n += v;
  return n;
}

function bar(pct: number, width = 20): string {
  const full = Math.round((pct / 100) * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}]`;
}

/** `42 s`, `3 min 05 s`, `1 h 02 min`. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}
