import type { RecordBatch } from 'apache-arrow';
import type { StreamOperator, StreamTransformDefinition } from './stream-operator.js';
import type { TransformSpec } from './transform-spec.js';

/**
 * What a transform may know besides its batch. Fixed for the whole run and plain data, so it can be
 * sent to a worker thread: `now` is the run's start time (transforms never read the clock).
 */
export interface TransformContext {
  readonly now: Date;
  readonly nodeId: string;
  /**
   * A secret the runner derives per pipeline (pii_mask's `hash` uses it when its config has no salt).
   * Never stored with the pipeline, never logged, never in a response.
   */
  readonly salt?: string;
}

/**
 * What a transform that rejects rows (validate, type_cast) returns: the rows it kept, and the failing
 * INPUT rows (original values) plus a utf8 `_synqx_error` column saying why. Rejected rows are not
 * filtered rows: the runtime counts them as records_error and sends them to the node's error output.
 */
export interface SplitOutput {
  kept: RecordBatch | null;
  rejected?: RecordBatch | null;
}

export type TransformOutput = RecordBatch | null | SplitOutput;

/**
 * A row-wise transform: pure (no I/O, no clock, no logger), never mutates its input, may return the input
 * itself when nothing changes. `null` or a zero-row batch means every row was dropped. Given an empty batch
 * it must return an empty batch with its output schema — that is how sinks learn their schema before data flows.
 * Throwing fails the step (the pool reports TRANSFORM_ERROR with the message).
 */
export type TransformFn = (batch: RecordBatch, ctx: TransformContext) => TransformOutput;

/** Either result form as `{kept, rejected}`; zero-row rejected batches become null. */
export function splitOutput(out: TransformOutput): { kept: RecordBatch | null; rejected: RecordBatch | null } {
  if (out === null || isBatch(out)) return { kept: out, rejected: null };
  const rejected = out.rejected && out.rejected.numRows > 0 ? out.rejected : null;
  return { kept: out.kept, rejected };
}

function isBatch(out: RecordBatch | SplitOutput): out is RecordBatch {
  return !('kept' in out);
}

/**
 * A registry entry: the spec the planner and API validation read, plus `build`, which validates a raw
 * config against `configSchema` and turns it into the live function (expressions are parsed there, once).
 * It throws VALIDATION_FAILED with `{field: 'config.…'}` problems. `kind: 'batch'` transforms are
 * stateless per batch and may run on any pool worker; `kind: 'stream'` ones (stateful: deduplicate,
 * aggregate, sort; fan-in: union, join, merge) run in their node's actor (see stream-operator.ts).
 */
export interface BatchTransformDefinition extends TransformSpec {
  kind: 'batch';
  /**
   * The output only renames, drops or reorders the input's columns (no buffer is read or made): such a
   * transform runs on the calling thread, where it costs O(columns), instead of crossing to the pool.
   */
  metadataOnly?: boolean;
  build(config: unknown): TransformFn;
  /**
   * Set when some configs of this transform need state across batches (fill_nulls with a computed
   * `strategy`): parses the config (throws VALIDATION_FAILED like `build`) and returns the factory of
   * the node's stream operator, or undefined when this config stays a pure batch function. One
   * registry entry, one config schema (one OpenAPI entry), two ways to run: the registry's
   * isStreamTransform / findStreamTransform decide per node.
   */
  stateful?(config: unknown): ((ctx: TransformContext) => StreamOperator) | undefined;
}

export type TransformDefinition = BatchTransformDefinition | StreamTransformDefinition;
