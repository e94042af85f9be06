import { makeBuilder, makeVector, type Data, type Int, type RecordBatch, type Schema } from 'apache-arrow';
import { SynqxError } from '../../core/errors.js';
import { HeldRows } from './held-rows.js';
import { planJoin, preserves, type JoinPlan, type JoinShape } from './join-plan.js';
import { keyReader } from './key-encoding.js';
import type { StreamOperator } from './stream-operator.js';
import { batchOf, emptyBatch, takeFrom } from './take-from.js';
import { TwoInputSchemas } from './two-input-schemas.js';

type Side = 'left' | 'right';
const LEFT = 0;
const RIGHT = 1;

/** Output batches are cut at this many rows, so one key matching many rows cannot build one huge batch. */
export const JOIN_OUTPUT_ROWS = 65_536;

/** The rows of one output batch on one side: batch `which[j]` (of `batches`), row `rows[j]`; -1 = NULLs. */
interface Gather {
  batches: readonly RecordBatch[];
  which: Int32Array;
  rows: Int32Array;
}

/**
 * A hash join. The build side is read first and held (HeldRows + a Map from key encoding to row
 * numbers); then each probe batch is looked up row by row and answered with the matching pairs.
 * Build rows never matched are emitted by `finish` when the join preserves the build side.
 */
export class JoinOperator implements StreamOperator {
  readonly readOrder: StreamOperator['readOrder'];
  readonly rowWise = false;
  private readonly buildInput: number;
  private readonly probeInput: number;
  private readonly schemas = new TwoInputSchemas('join', ['left', 'right']);
  private plan: JoinPlan | undefined;
  private readonly held = new HeldRows();
  /** Key → build row number, or the list of them once a key repeats. */
  private readonly table = new Map<string, number | number[]>();
  private matched: Uint8Array | undefined;
  private buildEnded = false;

  constructor(
    private readonly shape: JoinShape,
    private readonly build: Side,
    private readonly maxBuildRows: number,
  ) {
    this.buildInput = build === 'left' ? LEFT : RIGHT;
    this.probeInput = 1 - this.buildInput;
    this.readOrder = { mode: 'sequential', order: [this.buildInput, this.probeInput] };
  }

  outputSchema(inputs: readonly Schema[]): Schema {
    const [left, right] = this.schemas.declare(inputs);
    return planJoin(this.shape, left, right).schema;
  }

  push(input: number, batch: RecordBatch): RecordBatch[] {
    this.schemas.remember(input, batch.schema);
    if (input === this.buildInput) {
      this.hold(batch);
      return [];
    }
    if (!this.buildEnded) throw new SynqxError('INTERNAL', 'join: the probe input was read before the build input ended');
    const plan = this.requirePlan();
    if (batch.numRows === 0) return [emptyBatch(plan.schema)];
    return this.probe(plan, batch);
  }

  end(input: number): RecordBatch[] {
    if (input === this.buildInput) {
      this.buildEnded = true;
      if (preserves(this.shape.type, this.build)) this.matched = new Uint8Array(this.held.count);
    }
    return [];
  }

  finish(): RecordBatch[] {
    const matched = this.matched;
    if (!matched || this.held.count === 0) return [];
    const plan = this.requirePlan();
    const unmatched: number[] = [];
    for (let id = 0; id < matched.length; id++) if (matched[id] === 0) unmatched.push(id);
    const out: RecordBatch[] = [];
    for (let start = 0; start < unmatched.length; start += JOIN_OUTPUT_ROWS) {
      const ids = unmatched.slice(start, start + JOIN_OUTPUT_ROWS);
      const built = this.buildGather(ids);
      const none: Gather = { batches: [], which: new Int32Array(ids.length).fill(-1), rows: new Int32Array(ids.length) };
      out.push(this.build === 'left' ? assemble(plan, built, none) : assemble(plan, none, built));
    }
    return out;
  }

  private requirePlan(): JoinPlan {
    this.plan ??= planJoin(this.shape, ...this.schemas.both());
    return this.plan;
  }

  private hold(batch: RecordBatch): void {
    const side = this.build;
    if (this.held.count + batch.numRows > this.maxBuildRows) {
      throw new SynqxError(
        'DATA_ERROR',
        `join build side (${side} input) exceeds max_build_rows=${this.maxBuildRows}; raise max_build_rows or make the smaller input the build side`,
      );
    }
    const keys = this.keyColumns(side, batch);
    const first = this.held.add(batch);
    const key = keyReader(keys);
    for (let i = 0; i < batch.numRows; i++) {
      const k = key(i);
      if (k === null) continue; // NULL keys never match; an outer join still emits the row at finish
      const id = first + i;
      const prev = this.table.get(k);
      if (prev === undefined) this.table.set(k, id);
      else if (typeof prev === 'number') this.table.set(k, [prev, id]);
      else prev.push(id);
    }
  }

  /** The key columns of a batch of one side (their types are checked by the plan, at the first probe batch). */
  private keyColumns(side: Side, batch: RecordBatch): Data[] {
    return this.shape.pairs.map((p) => {
      const index = batch.schema.fields.findIndex((f) => f.name === p[side]);
      if (index < 0) {
        const has = batch.schema.fields.map((f) => f.name).join(', ');
        throw new SynqxError('DATA_ERROR', `join: the ${side} input has no key column "${p[side]}"; it has: ${has}`);
      }
      return batch.data.children[index]!;
    });
  }

  private probe(plan: JoinPlan, batch: RecordBatch): RecordBatch[] {
    const side: Side = this.build === 'left' ? 'right' : 'left';
    const key = keyReader(this.keyColumns(side, batch));
    const keepUnmatched = preserves(this.shape.type, side);
    const matched = this.matched;
    const out: RecordBatch[] = [];
    let probeRows: number[] = [];
    let buildIds: number[] = [];
    const flush = (): void => {
      const probed: Gather = { batches: [batch], which: new Int32Array(probeRows.length), rows: Int32Array.from(probeRows) };
      const built = this.buildGather(buildIds);
      out.push(side === 'left' ? assemble(plan, probed, built) : assemble(plan, built, probed));
      probeRows = [];
      buildIds = [];
    };
    for (let i = 0; i < batch.numRows; i++) {
      const k = key(i);
      const hit = k === null ? undefined : this.table.get(k);
      if (hit === undefined) {
        if (keepUnmatched) {
          probeRows.push(i);
          buildIds.push(-1);
        }
      } else if (typeof hit === 'number') {
        probeRows.push(i);
        buildIds.push(hit);
        if (matched) matched[hit] = 1;
      } else {
        for (const id of hit) {
          probeRows.push(i);
          buildIds.push(id);
          if (matched) matched[id] = 1;
          if (probeRows.length >= JOIN_OUTPUT_ROWS) flush();
        }
      }
      if (probeRows.length >= JOIN_OUTPUT_ROWS) flush();
    }
    if (probeRows.length > 0) flush();
    return out;
  }

  /** Build row numbers (-1 = none) as a gather over the held batches. */
  private buildGather(ids: readonly number[]): Gather {
    const which = new Int32Array(ids.length);
    const rows = new Int32Array(ids.length);
    for (let j = 0; j < ids.length; j++) {
      const id = ids[j]!;
      if (id < 0) which[j] = -1;
      else this.held.locate(id, which, rows, j);
    }
    return { batches: this.held.batches, which, rows };
  }
}

function assemble(plan: JoinPlan, left: Gather, right: Gather): RecordBatch {
  const length = left.which.length;
  const children = plan.columns.map((c, i): Data => {
    const type = plan.schema.fields[i]!.type;
    if (c.from === 'left') return takeFrom(type, left.batches.map((b) => b.data.children[c.index]!), left.which, left.rows);
    if (c.from === 'right') return takeFrom(type, right.batches.map((b) => b.data.children[c.index]!), right.which, right.rows);
    if (c.cast) return coalesceInts(type as Int, left, c.left, right, c.right);
    // COALESCE(left, right) as one gather over both sides' batches.
    const n = left.batches.length;
    const which = new Int32Array(length);
    const rows = new Int32Array(length);
    for (let j = 0; j < length; j++) {
      if (left.which[j]! >= 0) {
        which[j] = left.which[j]!;
        rows[j] = left.rows[j]!;
      } else {
        which[j] = right.which[j]! >= 0 ? n + right.which[j]! : -1;
        rows[j] = right.rows[j]!;
      }
    }
    const sources = [...left.batches.map((b) => b.data.children[c.left]!), ...right.batches.map((b) => b.data.children[c.right]!)];
    return takeFrom(type, sources, which, rows);
  });
  return batchOf(plan.schema, length, children);
}

const INT64_MAX = 9_223_372_036_854_775_807n;

/** A `keys` column whose two sides are integers of different types: values converted to `type`. */
function coalesceInts(type: Int, left: Gather, li: number, right: Gather, ri: number): Data {
  const lv = left.batches.map((b) => makeVector(b.data.children[li]!));
  const rv = right.batches.map((b) => makeVector(b.data.children[ri]!));
  const builder = makeBuilder({ type, nullValues: [null, undefined] });
  const wide = type.bitWidth === 64;
  for (let j = 0; j < left.which.length; j++) {
    const lw = left.which[j]!;
    const rw = right.which[j]!;
    const v = (lw >= 0 ? lv[lw]!.get(left.rows[j]!) : rw >= 0 ? rv[rw]!.get(right.rows[j]!) : null) as number | bigint | null;
    if (v === null) builder.append(null);
    else if (type.isSigned && typeof v === 'bigint' && v > INT64_MAX) {
      throw new SynqxError('DATA_ERROR', `join: key value ${v} does not fit ${String(type)}`);
    } else builder.append(wide ? BigInt(v) : Number(v));
  }
  return builder.finish().flush();
}
