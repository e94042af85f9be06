import { Field, makeData, RecordBatch, Schema, Struct, type Data } from 'apache-arrow';
import { z } from 'zod';
import { FIELD_META_PK_POSITION } from '../../core/data-ports.js';
import { accumulator, type Accumulator } from './aggregate-accumulators.js';
import { concatBatches } from './concat.js';
import { columnName, distinctColumnNames } from './config-fields.js';
import { rowKeyOf } from './row-keys.js';
import { boundExceeded, columnIndexes } from './stream-columns.js';
import type { StreamOperator } from './stream-operator.js';
import { takeRows } from './take.js';

const fnName = z.enum(['count', 'sum', 'min', 'max', 'avg', 'mean']).describe('mean is avg (the pandas name)');
type FnName = z.infer<typeof fnName>;

const aggregateSpec = z
  .object({
    /** Omitted only for count: count(*). */
    column: z.string().min(1).optional(),
    fn: fnName,
    /** Output column name; default `<column>_<fn>` (`count` for count(*)). */
    as: z.string().min(1).optional(),
  })
  .strict();

const canonical = (fn: FnName) => (fn === 'mean' ? 'avg' : fn);

/** The pandas `agg` form, {column: fn or [fn]}: one fn names its output after the column, several add `_<fn>`. */
function fromPandas(map: Record<string, FnName | FnName[]>) {
  return Object.entries(map).flatMap(([column, fns]) =>
    Array.isArray(fns) ? fns.map((fn) => ({ column, fn, as: `${column}_${canonical(fn)}` })) : [{ column, fn: fns, as: column }],
  );
}

export const aggregateConfigSchema = z
  .object({
    /** Default none: one group. */
    group_by: z.union([columnName, distinctColumnNames]).optional(),
    aggregates: z.union([
      z.array(aggregateSpec).min(1),
      z
        .record(z.string().min(1), z.union([fnName, z.array(fnName).min(1)]))
        .refine((m) => Object.keys(m).length > 0, { message: 'needs at least one {column: fn}' })
        .describe('the pandas agg form: {column: fn or [fn]}'),
    ]),
    max_groups: z.number().int().positive().default(1_000_000),
  })
  .strict()
  .transform(({ group_by, aggregates, max_groups }) => ({
    group_by: typeof group_by === 'string' ? [group_by] : (group_by ?? []),
    aggregates: (Array.isArray(aggregates) ? aggregates : fromPandas(aggregates)).map((a) => ({
      column: a.column,
      fn: canonical(a.fn),
      as: a.as ?? (a.column === undefined ? 'count' : `${a.column}_${canonical(a.fn)}`),
    })),
    max_groups,
  }))
  .superRefine((config, ctx) => {
    const names = new Set(config.group_by);
    config.aggregates.forEach((a, i) => {
      if (a.fn !== 'count' && a.column === undefined) {
        ctx.addIssue({ code: 'custom', path: ['aggregates', i, 'column'], message: `${a.fn} needs a column (only count may omit it, for count(*))` });
      }
      if (names.has(a.as)) {
        ctx.addIssue({ code: 'custom', path: ['aggregates', i, 'as'], message: `output column "${a.as}" is already a group_by column or an earlier aggregate` });
      }
      names.add(a.as);
    });
  });

export type AggregateConfig = z.infer<typeof aggregateConfigSchema>;

const WHAT = 'aggregate';

/**
 * GROUP BY: one output row per distinct `group_by` values (NULLs form one group, as in SQL), in
 * order of first appearance, group columns first, then each aggregate under its `as` name. Holds one
 * key encoding, one copy of the group columns and one value per aggregate per group; emits at the
 * end. With no group_by there is exactly one row, even for an empty input (count 0, other NULL).
 */
export function createAggregate(config: AggregateConfig): StreamOperator {
  return new Aggregate(config);
}

class Aggregate implements StreamOperator {
  readonly readOrder = { mode: 'sequential', order: [0] } as const;
  readonly rowWise = false;
  private readonly groups = new Map<string, number>();
  /** Rows holding each group's key values, in group order. */
  private keyChunks: RecordBatch[] = [];
  private keySchema: Schema | undefined;
  private keyColumns: number[] = [];
  private valueColumns: (number | undefined)[] = [];
  private accumulators: Accumulator[] = [];
  private schema: Schema | undefined;

  constructor(private readonly config: AggregateConfig) {}

  outputSchema([input]: readonly Schema[]): Schema {
    const schema = input!;
    this.keyColumns = columnIndexes(schema, this.config.group_by, WHAT);
    this.valueColumns = this.config.aggregates.map((a) => (a.column === undefined ? undefined : columnIndexes(schema, [a.column], WHAT)[0]));
    this.accumulators = this.config.aggregates.map((a, k) => {
      const c = this.valueColumns[k];
      return accumulator(a.fn, a.as, c === undefined ? undefined : schema.fields[c], WHAT);
    });
    const keyFields = this.keyColumns.map((c) => {
      const f = schema.fields[c]!;
      const metadata = new Map(f.metadata);
      metadata.delete(FIELD_META_PK_POSITION);
      return new Field(f.name, f.type, f.nullable, metadata);
    });
    this.keySchema = new Schema(keyFields);
    this.schema = new Schema([...keyFields, ...this.accumulators.map((a) => a.field)]);
    return this.schema;
  }

  push(_input: number, batch: RecordBatch): RecordBatch[] {
    const n = batch.numRows;
    const key = this.keyColumns.length > 0 ? rowKeyOf(batch, this.keyColumns) : () => '';
    const groupOf = new Int32Array(n);
    const firsts: number[] = [];
    for (let i = 0; i < n; i++) {
      const k = key(i);
      let g = this.groups.get(k);
      if (g === undefined) {
        if (this.groups.size >= this.config.max_groups) throw boundExceeded(WHAT, 'groups', this.config.max_groups, 'max_groups');
        g = this.groups.size;
        this.groups.set(k, g);
        firsts.push(i);
      }
      groupOf[i] = g;
    }
    if (firsts.length > 0 && this.keyColumns.length > 0) this.keyChunks.push(takeRows(this.keysOf(batch), Int32Array.from(firsts)));
    const count = this.groups.size;
    this.accumulators.forEach((acc, k) => {
      const c = this.valueColumns[k];
      acc.update(groupOf, c === undefined ? undefined : batch.data.children[c], count);
    });
    return [];
  }

  end(): RecordBatch[] {
    return [];
  }

  finish(): RecordBatch[] {
    let count = this.groups.size;
    if (count === 0 && this.keyColumns.length > 0) return [];
    if (count === 0) count = 1;
    const schema = this.schema!;
    const keys: Data[] =
      this.keyColumns.length === 0 ? [] : concatBatches(this.keySchema!, this.keyChunks).data.children.slice();
    const values = this.accumulators.map((a) => a.result(count));
    const children = [...keys, ...values];
    this.keyChunks = [];
    this.groups.clear();
    return [new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: count, nullCount: 0, children }))];
  }

  private keysOf(batch: RecordBatch): RecordBatch {
    const children = this.keyColumns.map((c) => batch.data.children[c]!);
    return new RecordBatch(this.keySchema!, makeData({ type: new Struct(this.keySchema!.fields), length: batch.numRows, nullCount: 0, children }));
  }
}

