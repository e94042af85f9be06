import type { RecordBatch, Schema } from 'apache-arrow';
import type { TransformContext } from './transform.js';
import type { TransformSpec } from './transform-spec.js';

/**
 * A transform that keeps state across batches (deduplicate, aggregate, sort) or reads several
 * inputs (union, join, merge). One instance per node per run, created by `create`; it runs in the
 * node's actor on the coordinator thread, because its state cannot be split across pool workers.
 * Memory must stay within a bound the config states; past it, throw SynqxError('DATA_ERROR', …) with a
 * message naming the bound and the config key that raises it.
 *
 * The actor drives it: for each input (index = position in the node's inputs, in edge order) it calls
 * `push` per batch and `end` when that input is exhausted, then `finish` once. Each call returns the
 * output batches ready now (possibly none); they are sent downstream in order. Inputs are read as
 * `readOrder` says: 'sequential' drains `order[0]` to its end before taking from `order[1]`… (a join
 * reads its build side first); 'interleaved' takes from whichever input has a batch ready.
 */
export interface StreamOperator {
  readonly readOrder: { mode: 'sequential'; order: readonly number[] } | { mode: 'interleaved' };
  /**
   * Row-wise operators (deduplicate, sort) report records_filtered = in − out − error;
   * reshaping ones (aggregate, join, union, merge) report records_filtered = 0.
   */
  readonly rowWise: boolean;
  /** Output schema for the input schemas (same order as inputs); throws DATA_ERROR on a missing column. */
  outputSchema(inputs: readonly Schema[]): Schema;
  push(input: number, batch: RecordBatch): RecordBatch[];
  end(input: number): RecordBatch[];
  finish(): RecordBatch[];
}

export interface StreamTransformDefinition extends TransformSpec {
  kind: 'stream';
  /** Validates a raw config (throws VALIDATION_FAILED with `config.…` fields); no state is built. */
  validate(config: unknown): void;
  create(config: unknown, ctx: TransformContext): StreamOperator;
}
