import { scrubSecrets } from '../connectors/connector.js';
import { isSynqxError } from '../core/errors.js';
import { runGraph, type RunResult } from '../engine/runtime/coordinator.js';
import { nullRunReporter } from '../engine/runtime/run-reporter.js';
import type { RuntimeGraph } from '../engine/runtime/runtime-graph.js';
import { TransformPool } from '../engine/runtime/transform-pool.js';
import { defaultTransformThreads } from '../platform/config.js';
import { ProgressBar } from './progress-bar.js';

/** Exit codes of `synqx copy` / `synqx run`. */
export const EXIT = { ok: 0, failed: 1, invalid: 2, cancelled: 130 } as const;

export interface OutputFlags {
  quiet?: boolean;
  verbose?: boolean;
  stats?: boolean;
}

export interface RunOnceOptions extends OutputFlags {
  graph: RuntimeGraph;
  /** Secret strings to scrub from everything printed. */
  secrets: string[];
  estimatedRows: () => number | undefined;
  /** Worker threads for transforms (0: main thread); unused when the graph has none. */
  threads?: number;
  /** Each transform worker's heap limit (TRANSFORM_WORKER_HEAP_MB); undefined: the pool's default. */
  workerHeapMb?: number;
  mailboxDepth?: number;
  /** The stdout line of a completed run. */
  summary: (result: RunResult) => string;
}

/**
 * Runs one graph in this process the way a terminal user expects: progress on stderr, one summary
 * line on stdout, one clear error line on failure. SIGINT/SIGTERM cancel the run (every sink rolls
 * back); a second signal exits at once. Resolves with the exit code; never throws.
 */
export async function runOnce(o: RunOnceOptions): Promise<number> {
  const scrub = (text: string) => scrubSecrets(text, o.secrets);
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      process.stderr.write(`synqx: ${signal} again: exiting without waiting for the rollback\n`);
      process.exit(EXIT.cancelled);
    }
    process.stderr.write(`\nsynqx: ${signal}: cancelling, rolling back (press Ctrl-C again to exit at once)\n`);
    controller.abort(new Error(`interrupted (${signal})`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const hasTransforms = o.graph.nodes.some((n) => n.kind === 'transform');
  const threads = o.threads ?? defaultTransformThreads();
  const pool = hasTransforms ? new TransformPool({ mode: threads === 0 ? 'inline' : 'threads', threads: Math.max(1, threads), workerHeapMb: o.workerHeapMb }) : undefined;
  pool?.warmUp();
  const reporter = o.quiet ? nullRunReporter : new ProgressBar({ estimatedRows: o.estimatedRows, verbose: o.verbose, scrub });
  let result: RunResult | undefined;
  let crash: unknown;
  try {
    result = await runGraph(o.graph, { signal: controller.signal, reporter, pool, mailboxDepth: o.mailboxDepth, progressIntervalMs: 250 });
  } catch (err) {
    crash = err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await pool?.close().catch(() => {});
  }
  if (o.stats) printStats(result);
  if (!result) {
    process.stderr.write(`synqx: ${scrub(errorText(crash))}\n`);
    return EXIT.failed;
  }
  if (result.status === 'completed') {
    process.stdout.write(`${o.summary(result)}\n`);
    return EXIT.ok;
  }
  const err = result.error;
  const rolledBack = result.steps.filter((s) => s.kind === 'sink' && s.status !== 'skipped' && !s.load).length > 0;
  const tail = rolledBack ? '; nothing was written (rolled back)' : '';
  if (result.status === 'cancelled') {
    process.stderr.write(`synqx: cancelled after ${result.durationSeconds.toFixed(1)} s${tail}\n`);
    return EXIT.cancelled;
  }
  const where = err && result.error && stepOf(result) ? ` in step ${stepOf(result)}` : '';
  process.stderr.write(`synqx: failed${where}: ${scrub(err?.message ?? 'unknown error')} [${err?.code ?? 'INTERNAL'}]${tail}\n`);
  const detail = detailOf(err?.details);
  if (detail) process.stderr.write(`  detail: ${scrub(detail)}\n`);
  return EXIT.failed;
}

function stepOf(result: RunResult): string | undefined {
  return result.steps.find((s) => s.status === 'failed' && s.error && s.error.code !== 'CANCELLED')?.stepId;
}

function detailOf(details: unknown): string | undefined {
  if (details && typeof details === 'object' && 'detail' in details && typeof details.detail === 'string') return details.detail;
  return undefined;
}

function errorText(err: unknown): string {
  if (isSynqxError(err)) return `${err.message} [${err.code}]`;
  return err instanceof Error ? err.message : String(err);
}

/** One machine-readable line for benchmarks: peak RSS of this whole process (worker threads included). */
function printStats(result: RunResult | undefined): void {
  const stats = {
    peak_rss_bytes: process.resourceUsage().maxRSS * 1024,
    seconds: result?.durationSeconds ?? null,
    rows_extracted: result?.totals.total_extracted ?? null,
    rows_loaded: result?.totals.total_loaded ?? null,
    status: result?.status ?? 'crashed',
  };
  process.stderr.write(`synqx-stats ${JSON.stringify(stats)}\n`);
}

/**
 * Prints an error raised before the run started (bad flags, an invalid pipeline file, an unreadable
 * file): the message and, for validation errors, every problem with its field. Returns the exit code.
 */
export function reportSetupError(err: unknown, secrets: string[], fieldName: (field: string) => string | undefined = (f) => f): number {
  const scrub = (text: string) => scrubSecrets(text, secrets);
  if (isSynqxError(err) && (err.code === 'VALIDATION_FAILED' || err.code === 'CONFIG_INVALID')) {
    // A field the caller maps to undefined is a duplicate of another problem (e.g. a defaulted flag).
    const problems = (Array.isArray(err.details) ? (err.details as { field: string; message: string }[]) : []).flatMap((p) => {
      const field = fieldName(p.field);
      return field === undefined ? [] : [{ field, message: p.message }];
    });
    if (problems.length === 0) process.stderr.write(`synqx: ${scrub(err.message)}\n`);
    else if (problems.length === 1) process.stderr.write(`synqx: ${scrub(`${problems[0]!.field}: ${problems[0]!.message}`)}\n`);
    else {
      process.stderr.write(`synqx: ${problems.length} problems:\n`);
      for (const p of problems) process.stderr.write(`  ${scrub(`${p.field}: ${p.message}`)}\n`);
    }
    return EXIT.invalid;
  }
  process.stderr.write(`synqx: ${scrub(errorText(err))}\n`);
  return EXIT.failed;
}
