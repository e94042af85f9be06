import { setMaxListeners } from 'node:events';
import type { RecordBatch, Schema } from 'apache-arrow';
import type { LoadResult } from '../../core/data-ports.js';
import { SynqxError, type ErrorCode } from '../../core/errors.js';
import { cancellationError } from './abort.js';
import { runSinkActor, runSourceActor, runTransformActor, type ActorContext } from './actors.js';
import { batchBytes } from './batch-bytes.js';
import { formatCount, formatRate, formatSeconds } from './format.js';
import { Mailbox } from './mailbox.js';
import { ReportQueue } from './report-queue.js';
import {
  nullRunReporter,
  type ReportedError,
  type ReportLogLevel,
  type RunReporter,
  type RunStatus,
  type StepKind,
} from './run-reporter.js';
import { describeSteps, runTotals, stepOutcome, type RunResult } from './run-outcome.js';
import { rejectedSchema } from '../transforms/rejected-rows.js';
import { orderRuntimeGraph, type RuntimeGraph, type RuntimeNode } from './runtime-graph.js';
import { StepMeter } from './step-meter.js';
import { prepareTransform, PreparedStream, runStreamActor } from './stream-actor.js';
import { TransformPool, type PreparedTransform } from './transform-pool.js';

export type { RunResult, StepResult } from './run-outcome.js';

export interface RunOptions {
  /** Aborting cancels the run: every actor stops, sources close, sinks roll back; status `cancelled`. */
  signal?: AbortSignal;
  reporter?: RunReporter;
  /** Where transforms run; defaults to an inline pool (same thread). The caller owns and closes it. */
  pool?: TransformPool;
  /** The run's fixed "now" handed to transforms; defaults to the start time. */
  now?: Date;
  /** The run's per-pipeline secret handed to transforms (TransformContext.salt); never reported. */
  salt?: string;
  /** Batches each edge may hold (default 2). Memory ≈ batch size × (depth + in-flight) per edge. */
  mailboxDepth?: number;
  /** Optional byte bound per edge (Arrow buffer bytes); a single batch is always admitted. */
  mailboxMaxBytes?: number;
  /** How often running steps' counters are reported (default 2000 ms). */
  progressIntervalMs?: number;
}

const DEFAULT_DEPTH = 2;
const DEFAULT_PROGRESS_MS = 2000;

const WRAP_CODE: Record<StepKind, ErrorCode> = { source: 'SOURCE_ERROR', transform: 'TRANSFORM_ERROR', sink: 'DESTINATION_ERROR' };

/**
 * Runs a graph to the end and resolves with the outcome; it never rejects for a failed run (only for
 * an invalid graph, which is a programming error). Phases: prepare transforms → open sources → derive
 * schemas → open sinks → stream (one actor per node) → commit every sink, only if every actor finished
 * without error. On any failure or cancellation everything stops, sources close and every sink that
 * did not commit is aborted.
 */
export async function runGraph(graph: RuntimeGraph, options: RunOptions = {}): Promise<RunResult> {
  return new GraphRun(graph, options).run();
}

class GraphRun {
  private readonly nodes: RuntimeNode[];
  private readonly meters = new Map<string, StepMeter>();
  private readonly queue = new ReportQueue();
  private readonly reporter: RunReporter;
  private readonly controller = new AbortController();
  private readonly mailboxes: Mailbox<RecordBatch>[] = [];
  private readonly inputsOf = new Map<string, Mailbox<RecordBatch>[]>();
  private readonly outputsOf = new Map<string, Mailbox<RecordBatch>[]>();
  /** A transform's error output mailbox, kept out of `outputsOf` (it gets rejected rows, not kept ones). */
  private readonly errorOutputOf = new Map<string, Mailbox<RecordBatch>>();
  private readonly prepared = new Map<string, PreparedTransform | PreparedStream>();
  private readonly schemas = new Map<string, Schema>();
  private readonly openedSources = new Set<string>();
  private readonly openedSinks = new Set<string>();
  private readonly loads = new Map<string, LoadResult>();
  private readonly startedAt = new Date();
  private failure: { error: SynqxError; stepId?: string } | undefined;
  private cancelled = false;

  constructor(
    graph: RuntimeGraph,
    private readonly options: RunOptions,
  ) {
    this.nodes = orderRuntimeGraph(graph);
    // Every actor waits on the run's signal; a wide graph legitimately has many listeners.
    setMaxListeners(1000, this.controller.signal);
    this.reporter = options.reporter ?? nullRunReporter;
    for (const node of this.nodes) {
      const label = node.label ?? (node.kind === 'transform' ? node.transform : node.id);
      this.meters.set(node.id, new StepMeter({ stepId: node.id, kind: node.kind, label, order: node.order }));
      this.inputsOf.set(node.id, []);
      this.outputsOf.set(node.id, []);
    }
    // One mailbox per edge, registered in the parent's output order and the child's input order.
    const depth = options.mailboxDepth ?? DEFAULT_DEPTH;
    const edges = new Map<string, Mailbox<RecordBatch>>();
    for (const node of this.nodes) {
      for (const child of node.outputs) {
        const mb = new Mailbox<RecordBatch>({ name: `${node.id}→${child}`, capacity: depth, maxBytes: options.mailboxMaxBytes, sizeOf: batchBytes });
        edges.set(`${node.id}\u0000${child}`, mb);
        this.mailboxes.push(mb);
        if (node.kind === 'transform' && node.errorOutput === child) this.errorOutputOf.set(node.id, mb);
        else this.outputsOf.get(node.id)!.push(mb);
      }
    }
    for (const node of this.nodes) for (const parent of node.inputs) this.inputsOf.get(node.id)!.push(edges.get(`${parent}\u0000${node.id}`)!);
  }

  private get signal(): AbortSignal {
    return this.controller.signal;
  }

  private meter(id: string): StepMeter {
    return this.meters.get(id)!;
  }

  private report(call: (r: RunReporter) => void | Promise<void>): void {
    this.queue.push(() => call(this.reporter));
  }

  private log(level: ReportLogLevel, message: string, stepId?: string, metadata?: Record<string, unknown>): void {
    const at = new Date();
    this.report((r) => r.log({ level, message, at, stepId, metadata }));
  }

  private stepStarted(id: string): void {
    const at = this.meter(id).startedAt!;
    this.report((r) => r.stepStarted({ stepId: id, at }));
  }

  /** The first failure wins; everything after it is a consequence of stopping. */
  private fail(err: unknown, node?: RuntimeNode): void {
    if (this.failure || this.cancelled) return;
    const error =
      err instanceof SynqxError ? err : new SynqxError(node ? WRAP_CODE[node.kind] : 'INTERNAL', err instanceof Error ? err.message : String(err), { cause: err });
    this.failure = { error, stepId: node?.id };
    if (node) this.log('error', `failed: ${error.code}: ${error.message}`, node.id);
    this.stop(error);
  }

  private cancel(reason: unknown): void {
    if (this.failure || this.cancelled) return;
    this.cancelled = true;
    const error = cancellationError(reason);
    this.failure = { error };
    this.log('warning', error.message);
    this.stop(error);
  }

  private stop(error: SynqxError): void {
    this.controller.abort(error);
    for (const mb of this.mailboxes) mb.abort(error);
  }

  async run(): Promise<RunResult> {
    const external = this.options.signal;
    const onCancel = () => this.cancel(external!.reason);
    const steps = this.nodes.map((n) => this.meter(n.id).step);
    this.report((r) => r.runStarted({ at: this.startedAt, steps }));
    this.log('info', `run started: ${describeSteps(this.nodes)}`);
    if (external?.aborted) this.cancel(external.reason);
    external?.addEventListener('abort', onCancel, { once: true });
    const timer = setInterval(() => this.reportProgress(), this.options.progressIntervalMs ?? DEFAULT_PROGRESS_MS);
    timer.unref();
    try {
      if (!this.failure) this.prepareTransforms();
      if (!this.failure) await this.openSources();
      if (!this.failure) this.deriveSchemas();
      if (!this.failure) await this.openSinks();
      if (!this.failure) this.skipUnneededDecoding();
      if (!this.failure) await this.stream();
      if (!this.failure) await this.commit();
    } catch (err) {
      this.fail(err);
    } finally {
      clearInterval(timer);
      external?.removeEventListener('abort', onCancel);
      await this.cleanUp();
    }
    return this.finish();
  }

  private prepareTransforms(): void {
    const pool = this.options.pool ?? inlinePool;
    const now = this.options.now ?? this.startedAt;
    for (const node of this.nodes) {
      if (node.kind !== 'transform') continue;
      try {
        this.prepared.set(node.id, prepareTransform(pool, node, this.nodes, now, this.options.salt));
      } catch (err) {
        this.startMeter(node);
        return this.fail(err, node);
      }
    }
  }

  private startMeter(node: RuntimeNode): void {
    if (this.meter(node.id).start()) this.stepStarted(node.id);
  }

  private async openSources(): Promise<void> {
    await Promise.all(
      this.nodes.map(async (node) => {
        if (node.kind !== 'source') return;
        this.startMeter(node);
        const estimate = node.source.estimatedRows();
        const label = this.meter(node.id).step.label;
        this.log('info', `reading ${label}${estimate === undefined ? '' : ` (about ${formatCount(estimate)} rows)`}`, node.id);
        try {
          this.openedSources.add(node.id);
          this.schemas.set(node.id, await node.source.open(this.signal));
        } catch (err) {
          this.fail(err, node);
        }
      }),
    );
  }

  private deriveSchemas(): void {
    for (const node of this.nodes) {
      if (node.kind === 'source') continue;
      const inputs = node.inputs.map((i) => this.edgeSchema(i, node.id));
      if (node.kind === 'sink') {
        this.schemas.set(node.id, inputs[0]!);
        continue;
      }
      try {
        const prepared = this.prepared.get(node.id)!;
        this.schemas.set(node.id, prepared instanceof PreparedStream ? prepared.outputSchema(inputs) : prepared.outputSchema(inputs[0]!));
      } catch (err) {
        this.startMeter(node);
        return this.fail(err, node);
      }
    }
  }

  /** What flows on the edge parent → child: the parent's output, or its rejected rows on its error output. */
  private edgeSchema(parentId: string, childId: string): Schema {
    const parent = this.nodes.find((n) => n.id === parentId)!;
    if (parent.kind === 'transform' && parent.errorOutput === childId) return rejectedSchema(this.edgeSchema(parent.inputs[0]!, parent.id));
    return this.schemas.get(parentId)!;
  }

  private async openSinks(): Promise<void> {
    await Promise.all(
      this.nodes.map(async (node) => {
        if (node.kind !== 'sink') return;
        this.log('info', `writing to ${this.meter(node.id).step.label}`, node.id);
        try {
          this.openedSinks.add(node.id);
          await node.sink.open(this.schemas.get(node.id)!, this.signal);
        } catch (err) {
          this.startMeter(node);
          this.fail(err, node);
        }
      }),
    );
  }

  /**
   * A source whose every consumer is a terminal sink able to write its wire bytes as they are (a straight
   * copy) need not decode values at all: on a table move that decoding is most of the engine's CPU.
   */
  private skipUnneededDecoding(): void {
    const byId = new Map(this.nodes.map((n) => [n.id, n]));
    for (const node of this.nodes) {
      if (node.kind !== 'source' || !node.source.skipDecoding || !node.source.wireFormat) continue;
      const format = node.source.wireFormat();
      if (format === undefined) continue;
      const consumers = node.outputs.map((id) => byId.get(id)!);
      const wireOnly = consumers.every((c) => c.kind === 'sink' && c.outputs.length === 0 && c.sink.acceptsWireOnly?.(format) === true);
      if (!wireOnly) continue;
      node.source.skipDecoding();
      this.log('debug', 'straight copy: rows are passed on in their wire format, not decoded', node.id);
    }
  }

  private async stream(): Promise<void> {
    await Promise.all(
      this.nodes.map(async (node) => {
        const ctx: ActorContext = {
          signal: this.signal,
          meter: this.meter(node.id),
          inputs: this.inputsOf.get(node.id)!,
          outputs: this.outputsOf.get(node.id)!,
          errorOutput: this.errorOutputOf.get(node.id),
          started: () => this.stepStarted(node.id),
        };
        try {
          if (node.kind === 'source') await runSourceActor(ctx, node.source);
          else if (node.kind === 'transform') await this.runTransform(ctx, this.prepared.get(node.id)!);
          else await runSinkActor(ctx, node.sink);
          this.logStepDone(node);
        } catch (err) {
          // Once the run is stopping, errors are echoes of the stop (aborted waits), not causes.
          if (!this.signal.aborted) this.fail(err, node);
        }
      }),
    );
  }

  private runTransform(ctx: ActorContext, prepared: PreparedTransform | PreparedStream): Promise<void> {
    return prepared instanceof PreparedStream ? runStreamActor(ctx, prepared) : runTransformActor(ctx, prepared);
  }

  /**
   * Sinks commit one by one, in order, only after every actor finished; a failed commit aborts the rest.
   * Sinks on an error output (quarantine tables) commit after all the others, so that a load failing
   * at commit (where a COPY's constraint errors surface) leaves them as they were too.
   */
  private async commit(): Promise<void> {
    const onErrorOutput = new Set(this.nodes.flatMap((n) => (n.kind === 'transform' && n.errorOutput !== undefined ? [n.errorOutput] : [])));
    const sinks = this.nodes.filter((n) => n.kind === 'sink');
    for (const node of [...sinks.filter((n) => !onErrorOutput.has(n.id)), ...sinks.filter((n) => onErrorOutput.has(n.id))]) {
      if (node.kind !== 'sink' || this.failure) continue;
      const meter = this.meter(node.id);
      try {
        const load = await node.sink.commit();
        this.loads.set(node.id, load);
        meter.set({ records_out: load.rowsWritten, bytes_processed: load.bytesWritten || meter.counters.bytes_processed });
        const secs = meter.elapsedSeconds();
        this.log('info', `wrote ${formatCount(load.rowsWritten)} rows to ${meter.step.label} in ${formatSeconds(secs)}`, node.id);
      } catch (err) {
        this.fail(err, node);
      }
    }
    if (this.failure && this.loads.size > 0) {
      const done = [...this.loads.keys()].join(', ');
      this.log('warning', `already committed before the failure and not rolled back: ${done}`);
    }
  }

  private logStepDone(node: RuntimeNode): void {
    const m = this.meter(node.id);
    const c = m.counters;
    const secs = m.elapsedSeconds();
    if (node.kind === 'source') {
      this.log('info', `read ${formatCount(c.records_out)} rows from ${m.step.label} in ${formatSeconds(secs)} (${formatRate(c.records_out, secs)})`, node.id);
    } else if (node.kind === 'transform') {
      const rejected = c.records_error > 0 ? `, ${formatCount(c.records_error)} rejected` : '';
      this.log('info', `${m.step.label}: ${formatCount(c.records_in)} rows in, ${formatCount(c.records_out)} out, ${formatCount(c.records_filtered)} filtered${rejected} in ${formatSeconds(secs)}`, node.id);
    }
  }

  private async cleanUp(): Promise<void> {
    const reason = this.failure?.error;
    const work: Promise<void>[] = [];
    if (reason) {
      for (const node of this.nodes) {
        if (node.kind !== 'sink' || !this.openedSinks.has(node.id) || this.loads.has(node.id)) continue;
        work.push(
          node.sink.abort(reason).then(
            () => this.log('info', `rolled back ${this.meter(node.id).step.label}`, node.id),
            (err: unknown) => this.log('error', `rollback of ${this.meter(node.id).step.label} failed: ${err instanceof Error ? err.message : String(err)}`, node.id),
          ),
        );
      }
    }
    for (const node of this.nodes) {
      if (node.kind !== 'source' || !this.openedSources.has(node.id)) continue;
      work.push(
        node.source.close().catch((err: unknown) => {
          this.log('warning', `closing ${this.meter(node.id).step.label} failed: ${err instanceof Error ? err.message : String(err)}`, node.id);
        }),
      );
    }
    await Promise.all(work);
  }

  private reportProgress(): void {
    for (const node of this.nodes) {
      const m = this.meter(node.id);
      if (!m.started || m.done) continue;
      if (node.kind === 'source') m.set({ bytes_processed: node.source.bytesRead() });
      if (!m.takeChanged()) continue;
      this.queue.pushCoalesced(node.id, () => this.reporter.stepProgress({ stepId: node.id, at: new Date(), counters: { ...m.counters } }));
    }
  }

  private async finish(): Promise<RunResult> {
    const finishedAt = new Date();
    const failure = this.failure;
    const status: RunStatus = !failure ? 'completed' : this.cancelled ? 'cancelled' : 'failed';
    const failure_ = failure && { ...failure, cancelled: this.cancelled };
    const steps = this.nodes.map((node) => stepOutcome(node.id, node.kind, this.meter(node.id), this.loads.get(node.id), failure_, finishedAt));
    for (const s of steps) {
      this.report((r) =>
        r.stepFinished({ stepId: s.stepId, status: s.status, counters: s.counters, startedAt: s.startedAt, finishedAt, durationSeconds: s.durationSeconds, error: s.error }),
      );
    }
    const totals = runTotals(steps);
    const durationSeconds = (finishedAt.getTime() - this.startedAt.getTime()) / 1000;
    const error: ReportedError | undefined = failure && { code: failure.error.code, message: failure.error.message, stepId: failure.stepId };
    const summary =
      status === 'completed'
        ? `run completed in ${formatSeconds(durationSeconds)}: ${formatCount(totals.total_extracted)} rows extracted, ${formatCount(totals.total_loaded)} loaded`
        : `run ${status} after ${formatSeconds(durationSeconds)}: ${failure!.error.code}: ${failure!.error.message}${failure!.stepId ? ` (step ${failure!.stepId})` : ''}`;
    this.log(status === 'completed' ? 'info' : 'error', summary);
    this.report((r) => r.runFinished({ status, at: finishedAt, durationSeconds, totals, error }));
    await this.queue.drain();
    return { status, error: failure?.error, steps, totals, startedAt: this.startedAt, finishedAt, durationSeconds, reporterErrors: this.queue.errors };
  }
}

const inlinePool = new TransformPool({ mode: 'inline' });
