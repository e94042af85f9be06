import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { makeBuilder, makeData, RecordBatch, Struct, type Schema } from 'apache-arrow';
import { Piscina, move, transferableSymbol, valueSymbol } from 'piscina';
import { SynqxError } from '../../core/errors.js';
import { installedPluginDir } from '../transforms/plugins.js';
import { buildTransform, findTransform } from '../transforms/registry.js';
import { splitOutput, type TransformContext, type TransformFn } from '../transforms/transform.js';
import { isExclusive, markExclusive, markShared } from '../../core/batch-ownership.js';
import { packBatch, unpackBatch } from '../transforms/batch-transfer.js';
import type { TransformReply, TransformTask, TransformWorkerData } from '../transforms/transform-task.js';

export interface TransformPoolOptions {
  /** 'threads': a Piscina pool (default); 'inline': every batch on the calling thread (tests, tiny jobs). */
  mode?: 'threads' | 'inline';
  /** Worker threads; defaults to the available cores. */
  threads?: number;
  /** In threads mode, batches with fewer rows than this run inline: the round trip would cost more. */
  inlineMaxRows?: number;
  /** Batches one node may have on the pool at once; results are still delivered in input order. */
  maxInFlightPerNode?: number;
  /** Worker entry; by default workers/transform-worker.ts under tsx, dist/workers/transform-worker.js when compiled. */
  workerFilename?: string;
  /** Each worker's V8 old-generation limit in MB (TRANSFORM_WORKER_HEAP_MB); a worker past it fails its task, not the process. */
  workerHeapMb?: number;
}

/** Defined (true) by bin/build-bundle.mjs in the bundled build only. */
declare const __SYNQX_BUNDLE__: boolean | undefined;

const DEFAULT_INLINE_MAX_ROWS = 256;
const DEFAULT_MAX_IN_FLIGHT = 3;
export const DEFAULT_WORKER_HEAP_MB = 128;
/**
 * A worker's garbage is small JS objects around external Arrow buffers. With V8's defaults for this
 * machine (16 MB semi-spaces, an old generation sized from 24 GiB of RAM) the worker never ran a full
 * GC in a 5M-row run: promoted garbage piled up and the process's RSS grew with the table (253 MB at
 * 1M rows, 314-346 MB at 5M). With these limits it marks and compacts as it goes and RSS stays flat.
 */
const WORKER_YOUNG_GENERATION_MB = 8;

/**
 * The worker next to this module: `.js` in dist/; under tsx, an ESM bootstrap of the `.ts` source (see
 * workers/transform-worker.dev.mjs: plugins need the worker to use the same apache-arrow build they do).
 */
export function defaultWorkerFilename(): string {
  // In the one-shot bundle every output file sits in dist/bundle/, the worker's bundle among them.
  if (typeof __SYNQX_BUNDLE__ !== 'undefined') return fileURLToPath(new URL('./transform-worker.js', import.meta.url));
  const here = fileURLToPath(import.meta.url);
  const file = here.endsWith('.ts') ? 'transform-worker.dev.mjs' : 'transform-worker.js';
  const candidate = fileURLToPath(new URL(`../../../workers/${file}`, import.meta.url));
  if (!existsSync(candidate)) throw new SynqxError('INTERNAL', `transform worker not found at ${candidate}`);
  return candidate;
}

/**
 * Runs transforms on worker threads (or inline). One pool serves many runs and nodes; it holds no
 * per-run state. Bounded in-flight work is the caller's side of the contract: `PreparedTransform.maxInFlight`.
 */
export class TransformPool {
  readonly mode: 'threads' | 'inline';
  readonly maxInFlightPerNode: number;
  readonly inlineMaxRows: number;
  private piscina: Piscina | undefined;
  private readonly threads: number;
  private readonly filename: string | undefined;
  private readonly workerHeapMb: number;

  constructor(options: TransformPoolOptions = {}) {
    this.mode = options.mode ?? 'threads';
    this.threads = Math.max(1, options.threads ?? availableParallelism());
    this.maxInFlightPerNode = Math.max(1, options.maxInFlightPerNode ?? DEFAULT_MAX_IN_FLIGHT);
    this.inlineMaxRows = options.inlineMaxRows ?? DEFAULT_INLINE_MAX_ROWS;
    this.filename = options.workerFilename;
    this.workerHeapMb = options.workerHeapMb ?? DEFAULT_WORKER_HEAP_MB;
  }

  /** Validates the node's config (throws VALIDATION_FAILED) and returns its runner; `salt` is the run's per-pipeline secret. */
  prepare(node: { nodeId: string; transform: string; config: unknown }, now: Date, salt?: string): PreparedTransform {
    const fn = buildTransform(node.transform, node.config);
    const def = findTransform(node.transform);
    const metadataOnly = def?.kind === 'batch' && def.metadataOnly === true;
    const ctx = salt === undefined ? { now, nodeId: node.nodeId } : { now, nodeId: node.nodeId, salt };
    return new PreparedTransform(this, node.nodeId, node.transform, node.config, fn, ctx, metadataOnly);
  }

  /** @internal */
  dispatch(task: TransformTask): Promise<TransformReply> {
    const piscina = this.threadPool();
    const buffers = task.batch.buffers;
    const movable = {
      get [transferableSymbol]() {
        return buffers;
      },
      get [valueSymbol]() {
        return task;
      },
    };
    return (piscina.run(move(movable)) as Promise<TransformReply>).catch((err: unknown) => {
      if ((err as { code?: string } | null)?.code === 'ERR_WORKER_OUT_OF_MEMORY') {
        throw new SynqxError(
          'DATA_ERROR',
          `a transform worker ran out of memory: its heap is limited to ${this.workerHeapMb} MB (TRANSFORM_WORKER_HEAP_MB); lower the batch size or raise the limit`,
          { cause: err },
        );
      }
      throw err;
    });
  }

  /**
   * Starts the worker threads now rather than at the first batch: each loads its modules (a few hundred ms
   * of CPU), which overlaps with connecting to the sources and sinks instead of delaying the first batch.
   */
  warmUp(): void {
    if (this.mode === 'threads') this.threadPool();
  }

  private threadPool(): Piscina {
    this.piscina ??= new Piscina({
      filename: this.filename ?? defaultWorkerFilename(),
      minThreads: this.threads,
      maxThreads: this.threads,
      idleTimeout: 30_000,
      resourceLimits: { maxOldGenerationSizeMb: this.workerHeapMb, maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
      // Each worker is its own isolate with its own registry: it installs the same plugin directory.
      workerData: { pluginDir: installedPluginDir() } satisfies TransformWorkerData,
    });
    return this.piscina;
  }

  get threadCount(): number {
    return this.mode === 'threads' ? this.threads : 0;
  }

  async close(): Promise<void> {
    const p = this.piscina;
    this.piscina = undefined;
    if (p) await p.destroy();
  }
}

/** One batch's result: the rows kept, and the rows a rejecting transform turned away (with `_synqx_error`). */
export interface TransformRun {
  kept: RecordBatch | null;
  rejected: RecordBatch | null;
}

/** One node's transform, validated once; `run` keeps nothing between batches. */
export class PreparedTransform {
  private readonly key: string;

  constructor(
    private readonly pool: TransformPool,
    readonly nodeId: string,
    readonly name: string,
    private readonly config: unknown,
    private readonly fn: TransformFn,
    private readonly ctx: TransformContext,
    /** Renames, selections: O(columns) work on the calling thread beats any thread hop. */
    private readonly metadataOnly = false,
  ) {
    this.key = `${name}\u0000${JSON.stringify(config ?? {})}`;
  }

  get maxInFlight(): number {
    return this.pool.mode === 'threads' && !this.metadataOnly ? this.pool.maxInFlightPerNode : 1;
  }

  /** The output schema for an input schema, found by transforming an empty batch on this thread. */
  outputSchema(input: Schema): Schema {
    const empty = new RecordBatch(input, makeData({ type: new Struct(input.fields), length: 0, nullCount: 0, children: emptyChildren(input) }));
    const out = this.applyInline(empty).kept;
    if (!out) throw this.failure('TRANSFORM_ERROR', 'returned no schema for an empty batch');
    return out.schema;
  }

  /** Transforms one batch; a failure of any kind becomes a TRANSFORM_ERROR naming the node. */
  async run(batch: RecordBatch): Promise<TransformRun> {
    const exclusive = isExclusive(batch);
    if (this.pool.mode === 'inline' || this.metadataOnly || batch.numRows < this.pool.inlineMaxRows) {
      const out = this.applyInline(batch);
      // A metadata-only output reuses the input's buffers and nothing else: it owns what the input owned.
      if (out.kept && out.kept !== batch && exclusive && this.metadataOnly) markExclusive(out.kept);
      return out;
    }
    let reply: TransformReply;
    try {
      // A batch only this node holds moves to the worker without a copy (and is dead here afterwards).
      markShared(batch);
      const packed = packBatch(batch, () => exclusive);
      reply = await this.pool.dispatch({
        key: this.key,
        name: this.name,
        config: this.config,
        nodeId: this.nodeId,
        nowMs: this.ctx.now.getTime(),
        ...(this.ctx.salt === undefined ? {} : { salt: this.ctx.salt }),
        batch: packed,
      });
    } catch (err) {
      throw this.failure(err instanceof SynqxError ? err.code : 'INTERNAL', err instanceof Error ? err.message : String(err), err);
    }
    if (!reply.ok) throw this.failure(reply.code, reply.message);
    const kept = reply.batch ? unpackBatch(reply.batch) : null;
    if (kept) markExclusive(kept);
    return { kept, rejected: reply.rejected ? unpackBatch(reply.rejected) : null };
  }

  private applyInline(batch: RecordBatch): TransformRun {
    try {
      return splitOutput(this.fn(batch, this.ctx));
    } catch (err) {
      const code = err instanceof SynqxError ? err.code : 'TRANSFORM_ERROR';
      throw this.failure(code, err instanceof Error ? err.message : String(err), err);
    }
  }

  private failure(causeCode: string, message: string, cause?: unknown): SynqxError {
    return new SynqxError('TRANSFORM_ERROR', `transform ${this.name} (node ${this.nodeId}) failed: ${message}`, {
      details: { node_id: this.nodeId, transform: this.name, cause_code: causeCode },
      cause,
    });
  }
}

function emptyChildren(schema: Schema) {
  // Builders give well-formed zero-length buffers (e.g. a Utf8 offsets array holding its single 0).
  return schema.fields.map((f) => makeBuilder({ type: f.type }).flush());
}
