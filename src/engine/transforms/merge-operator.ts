import { DataType, Field, Schema, type Data, type RecordBatch } from 'apache-arrow';
import { SynqxError } from '../../core/errors.js';
import { HeldRows } from './held-rows.js';
import { keyReader, sameType } from './key-encoding.js';
import type { StreamOperator } from './stream-operator.js';
import { batchOf, emptyBatch, takeFrom } from './take-from.js';
import { TwoInputSchemas } from './two-input-schemas.js';

/** Output batches of appended delta rows are cut at this many rows. */
export const MERGE_OUTPUT_ROWS = 65_536;

const DELETED = 1;
/** The key showed up in the primary input: the delta row was used there (or deleted it), not appended. */
const CONSUMED = 2;

interface MergePlan {
  schema: Schema;
  /** For each output (= primary) column, its index in the delta. */
  deltaIndex: number[];
}

/**
 * Applies a delta onto a primary stream by key. The delta is read first and held (last row per key
 * wins); then each primary row either passes, or — its key being in the delta — is replaced by that
 * delta row, or dropped when the row's delete flag is true. Several primary rows with one delta key
 * collapse into that one delta row (at the first one's place), as `primary rows whose key is not in the
 * delta UNION ALL the delta` would. At finish the delta rows whose key never appeared are appended
 * (deletions of absent keys do nothing). NULL keys never match: a primary row with one passes, a
 * delta row with one is appended as is (unless flagged for deletion).
 */
export class MergeOperator implements StreamOperator {
  readonly readOrder: StreamOperator['readOrder'];
  readonly rowWise = false;
  private readonly primaryInput: number;
  private readonly deltaInput: number;
  private readonly schemas: TwoInputSchemas;
  private plan: MergePlan | undefined;
  private readonly held = new HeldRows();
  private readonly latest = new Map<string, number>();
  private readonly nullKeyRows: number[] = [];
  private state: Uint8Array | undefined;

  constructor(
    private readonly keys: readonly string[],
    primary: 'left' | 'right',
    private readonly deleteColumn: string | undefined,
    private readonly maxDeltaRows: number,
  ) {
    this.primaryInput = primary === 'left' ? 0 : 1;
    this.deltaInput = 1 - this.primaryInput;
    this.schemas = new TwoInputSchemas('merge', this.primaryInput === 0 ? ['primary', 'delta'] : ['delta', 'primary']);
    this.readOrder = { mode: 'sequential', order: [this.deltaInput, this.primaryInput] };
  }

  private get deltaSide(): string {
    return this.deltaInput === 0 ? 'left' : 'right';
  }

  outputSchema(inputs: readonly Schema[]): Schema {
    const declared = this.schemas.declare(inputs);
    return this.planFor(declared[this.primaryInput]!, declared[this.deltaInput]!).schema;
  }

  push(input: number, batch: RecordBatch): RecordBatch[] {
    this.schemas.remember(input, batch.schema);
    if (input === this.deltaInput) {
      this.hold(batch);
      return [];
    }
    if (!this.state) throw new SynqxError('INTERNAL', 'merge: the primary input was read before the delta input ended');
    const plan = this.requirePlan();
    if (batch.numRows === 0) return [emptyBatch(plan.schema)];
    return this.apply(plan, batch, this.state);
  }

  end(input: number): RecordBatch[] {
    if (input === this.deltaInput) this.state = this.deletions();
    return [];
  }

  finish(): RecordBatch[] {
    const state = this.state;
    if (!state || this.held.count === 0) return [];
    const plan = this.requirePlan();
    const ids = [...this.latest.values(), ...this.nullKeyRows].filter((id) => state[id] === 0).sort((a, b) => a - b);
    const out: RecordBatch[] = [];
    for (let start = 0; start < ids.length; start += MERGE_OUTPUT_ROWS) {
      const part = ids.slice(start, start + MERGE_OUTPUT_ROWS);
      const which = new Int32Array(part.length);
      const rows = new Int32Array(part.length);
      part.forEach((id, j) => this.held.locate(id, which, rows, j));
      const children = plan.schema.fields.map((f, c) => takeFrom(f.type, this.held.column(plan.deltaIndex[c]!), which, rows));
      out.push(batchOf(plan.schema, part.length, children));
    }
    return out;
  }

  private planFor(primary: Schema, delta: Schema): MergePlan {
    const names = (s: Schema) => s.fields.map((f) => f.name).join(', ');
    for (const k of this.keys) {
      if (!primary.fields.some((f) => f.name === k)) {
        throw new SynqxError('DATA_ERROR', `merge: the primary input has no key column "${k}"; it has: ${names(primary)}`);
      }
    }
    const problems: string[] = [];
    const deltaIndex = primary.fields.map((p) => {
      const i = delta.fields.findIndex((d) => d.name === p.name);
      const d = delta.fields[i];
      if (!d) problems.push(`column "${p.name}" is missing from the delta`);
      else if (!(sameType(p.type, d.type) && String(p.type) === String(d.type))) {
        problems.push(`column "${p.name}" is ${String(p.type)} in the primary but ${String(d.type)} in the delta`);
      }
      return i;
    });
    for (const d of delta.fields) {
      if (d.name === this.deleteColumn || primary.fields.some((p) => p.name === d.name)) continue;
      problems.push(`the delta has column "${d.name}" the primary lacks`);
    }
    if (problems.length > 0) throw new SynqxError('DATA_ERROR', `merge: ${problems.join('; ')}`);
    const fields = primary.fields.map((p, c) => {
      const nullable = p.nullable || delta.fields[deltaIndex[c]!]!.nullable;
      return nullable === p.nullable ? p : new Field(p.name, p.type, nullable, p.metadata);
    });
    return { schema: new Schema(fields, primary.metadata), deltaIndex };
  }

  private requirePlan(): MergePlan {
    if (this.plan) return this.plan;
    const both = this.schemas.both();
    this.plan = this.planFor(both[this.primaryInput]!, both[this.deltaInput]!);
    return this.plan;
  }

  private column(batch: RecordBatch, name: string, what: string): Data {
    const i = batch.schema.fields.findIndex((f) => f.name === name);
    if (i < 0) {
      const has = batch.schema.fields.map((f) => f.name).join(', ');
      throw new SynqxError('DATA_ERROR', `merge: the ${what} input has no column "${name}"; it has: ${has}`);
    }
    return batch.data.children[i]!;
  }

  private hold(batch: RecordBatch): void {
    if (this.held.count + batch.numRows > this.maxDeltaRows) {
      throw new SynqxError('DATA_ERROR', `merge delta (${this.deltaSide} input) exceeds max_delta_rows=${this.maxDeltaRows}; raise max_delta_rows`);
    }
    if (this.deleteColumn !== undefined) {
      const flag = this.column(batch, this.deleteColumn, 'delta');
      if (!DataType.isBool(flag.type)) {
        throw new SynqxError('DATA_ERROR', `merge: delete_column "${this.deleteColumn}" must be boolean, the delta has ${String(flag.type)}`);
      }
    }
    const key = keyReader(this.keys.map((k) => this.column(batch, k, 'delta')));
    const first = this.held.add(batch);
    for (let i = 0; i < batch.numRows; i++) {
      const k = key(i);
      if (k === null) this.nullKeyRows.push(first + i);
      else this.latest.set(k, first + i);
    }
  }

  /** Per held row: DELETED when its delete flag is true (NULL or false = upsert). */
  private deletions(): Uint8Array {
    const state = new Uint8Array(this.held.count);
    if (this.deleteColumn === undefined) return state;
    let id = 0;
    for (const batch of this.held.batches) {
      const flag = this.column(batch, this.deleteColumn, 'delta');
      const bits = flag.values as Uint8Array;
      const valid = flag.nullBitmap;
      const hasNulls = flag.nullCount > 0 && valid && valid.length > 0;
      for (let i = 0; i < batch.numRows; i++, id++) {
        const at = flag.offset + i;
        const set = (bits[at >> 3]! >> (at & 7)) & 1;
        const ok = hasNulls ? (valid[at >> 3]! >> (at & 7)) & 1 : 1;
        if (set && ok) state[id] = DELETED;
      }
    }
    return state;
  }

  private apply(plan: MergePlan, batch: RecordBatch, state: Uint8Array): RecordBatch[] {
    const key = keyReader(this.keys.map((k) => this.column(batch, k, 'primary')));
    const which: number[] = [];
    const rows: number[] = [];
    const deltaWhich = new Int32Array(1);
    const deltaRow = new Int32Array(1);
    for (let i = 0; i < batch.numRows; i++) {
      const k = key(i);
      const id = k === null ? undefined : this.latest.get(k);
      if (id === undefined) {
        which.push(0);
        rows.push(i);
        continue;
      }
      const s = state[id]!;
      state[id] = s | CONSUMED;
      if (s !== 0) continue; // deleted, or already placed at an earlier primary row with this key
      this.held.locate(id, deltaWhich, deltaRow, 0);
      which.push(1 + deltaWhich[0]!);
      rows.push(deltaRow[0]!);
    }
    if (which.length === 0) return [];
    const w = Int32Array.from(which);
    const r = Int32Array.from(rows);
    const children = plan.schema.fields.map((f, c) =>
      takeFrom(f.type, [batch.data.children[c]!, ...this.held.column(plan.deltaIndex[c]!)], w, r),
    );
    return [batchOf(plan.schema, w.length, children)];
  }
}
