import { setTimeout as delay } from 'node:timers/promises';
import type { Db } from '../store/db.js';
import { runRepo, type JobRow, type RunRow, type StepRunRow } from '../store/repos/run-repo.js';
import { isFinished } from './job-lifecycle.js';

/** One Server-Sent Event of a job's feed. `id` (log lines only) lets a client resume with Last-Event-ID. */
export interface JobEvent {
  event: 'status' | 'log' | 'progress' | 'end' | 'ping';
  id?: string;
  data: unknown;
}

export interface FeedOptions {
  pollMs: number;
  signal: AbortSignal;
  /** Skip log lines up to this id (a reconnecting client's Last-Event-ID). */
  afterLogId?: number;
  heartbeatMs?: number;
}

interface Sample {
  at: number;
  extracted: number;
  loaded: number;
  steps: Map<string, number>;
  fingerprint: string;
}

/** Resolves false instead of throwing when the signal aborts. */
async function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await delay(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

const rate = (rows: number, prevRows: number | undefined, seconds: number) =>
  prevRows === undefined || seconds <= 0 ? 0 : Math.max(0, Math.round(((rows - prevRows) / seconds) * 10) / 10);

function progressOf(run: RunRow, steps: StepRunRow[], prev: Sample | undefined, now: number): { data: unknown; sample: Sample } {
  const seconds = prev ? (now - prev.at) / 1000 : 0;
  const stepData = steps.map((s) => ({
    step_run_id: s.id,
    node_id: s.node_key,
    operator_type: s.operator_type,
    status: s.status,
    records_in: s.records_in,
    records_out: s.records_out,
    records_filtered: s.records_filtered,
    records_error: s.records_error,
    bytes_processed: s.bytes_processed,
    rows_per_second: rate(s.records_out, prev?.steps.get(s.node_key), seconds),
  }));
  const data = {
    run_id: run.id,
    run_status: run.status,
    total_extracted: run.total_extracted,
    total_loaded: run.total_loaded,
    total_failed: run.total_failed,
    bytes_processed: run.bytes_processed,
    rows_per_second: rate(run.total_extracted, prev?.extracted, seconds),
    loaded_rows_per_second: rate(run.total_loaded, prev?.loaded, seconds),
    steps: stepData,
  };
  const fingerprint = JSON.stringify([run.status, run.total_extracted, run.total_loaded, run.total_failed, steps.map((s) => [s.status, s.records_out, s.records_in])]);
  const stepsSample = new Map(steps.map((s) => [s.node_key, s.records_out]));
  return { data, sample: { at: now, extracted: run.total_extracted, loaded: run.total_loaded, steps: stepsSample, fingerprint } };
}

/**
 * A job's live feed: its status changes, its log lines and its run's progress (counters and rows per
 * second), read from the run records every `pollMs`, so it works whichever process runs the job.
 * Ends with one `end` event once the job is finished (or at once if it already is).
 */
export async function* jobEventStream(db: Db, jobId: number, opts: FeedOptions): AsyncGenerator<JobEvent> {
  let lastStatus: string | undefined;
  let lastLogId = opts.afterLogId ?? 0;
  let sample: Sample | undefined;
  let lastYield = Date.now();
  const heartbeat = opts.heartbeatMs ?? 15_000;
  while (!opts.signal.aborted) {
    const job = await runRepo.getJob(db, jobId);
    if (!job) {
      yield { event: 'end', data: { job_id: jobId, status: 'gone' } };
      return;
    }
    const out: JobEvent[] = [];
    if (job.status !== lastStatus) {
      lastStatus = job.status;
      out.push({ event: 'status', data: statusData(job) });
    }
    for (;;) {
      const logs = await runRepo.jobLogs(db, jobId, { afterId: lastLogId, limit: 500 });
      for (const l of logs) out.push({ event: 'log', id: String(l.id), data: l });
      if (logs.length > 0) lastLogId = logs[logs.length - 1]!.id;
      if (logs.length < 500) break;
    }
    const run = await runRepo.getRunByJob(db, jobId);
    if (run) {
      const now = Date.now();
      const p = progressOf(run, await runRepo.stepsOfRun(db, run.id), sample, now);
      if (!sample || p.sample.fingerprint !== sample.fingerprint || isFinished(job.status)) out.push({ event: 'progress', data: p.data });
      sample = p.sample;
    }
    if (isFinished(job.status)) {
      yield* out;
      yield { event: 'end', data: { ...statusData(job), run_id: run?.id ?? null, total_extracted: run?.total_extracted ?? 0, total_loaded: run?.total_loaded ?? 0 } };
      return;
    }
    if (out.length > 0) {
      yield* out;
      lastYield = Date.now();
    } else if (Date.now() - lastYield >= heartbeat) {
      yield { event: 'ping', data: {} };
      lastYield = Date.now();
    }
    if (!(await sleep(opts.pollMs, opts.signal))) return;
  }
}

function statusData(job: JobRow) {
  return {
    job_id: job.id,
    status: job.status,
    attempt: job.attempt,
    worker_id: job.worker_id,
    error_code: job.error_code,
    error_message: job.error_message,
    updated_at: job.updated_at,
  };
}

/** Serializes one event in the text/event-stream format. */
export function formatSse(e: JobEvent): string {
  const id = e.id ? `id: ${e.id}\n` : '';
  return `${id}event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`;
}

/** Polls until the job is finished; undefined when `timeoutMs` passed first (or the signal aborted). */
export async function waitForJobEnd(db: Db, jobId: number, opts: { pollMs: number; timeoutMs: number; signal?: AbortSignal }): Promise<JobRow | undefined> {
  const deadline = Date.now() + opts.timeoutMs;
  const signal = opts.signal ?? new AbortController().signal;
  for (;;) {
    const job = await runRepo.getJob(db, jobId);
    if (job && isFinished(job.status)) return job;
    const left = deadline - Date.now();
    if (left <= 0 || !(await sleep(Math.min(opts.pollMs, left), signal))) return undefined;
  }
}
