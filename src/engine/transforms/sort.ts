import type { RecordBatch, Schema } from 'apache-arrow';
import { z } from 'zod';
import { cellKind, type Cell } from './cells.js';
import { concatBatches } from './concat.js';
import { boundExceeded, columnIndexes } from './stream-columns.js';
import type { StreamOperator } from './stream-operator.js';
import { takeRows } from './take.js';

const sortKey = z
  .object({
    column: z.string().min(1),
    direction: z.enum(['asc', 'desc']).default('asc'),
    /** Default as Postgres: NULLs last ascending, first descending (NULL is the largest value). */
    nulls: z.enum(['first', 'last']).optional(),
  })
  .strict();

export const sortConfigSchema = z
  .object({
    /** A bare name sorts ascending (or as `ascending` says): the original SynqX's pandas `by`. */
    by: z.union([z.string().min(1), z.array(z.union([z.string().min(1), sortKey])).min(1)]),
    ascending: z
      .union([z.boolean(), z.array(z.boolean()).min(1)])
      .optional()
      .describe('the original SynqX (pandas) direction: one flag for every name in `by`, or one per name'),
    max_rows: z.number().int().positive().default(1_000_000),
  })
  .strict()
  .superRefine((config, ctx) => {
    const by = typeof config.by === 'string' ? [config.by] : config.by;
    if (config.ascending === undefined) return;
    if (by.some((b) => typeof b !== 'string')) {
      ctx.addIssue({ code: 'custom', path: ['ascending'], message: 'ascending goes with column names in by; give {column, direction} entries their own direction instead' });
    } else if (Array.isArray(config.ascending) && config.ascending.length !== by.length) {
      ctx.addIssue({ code: 'custom', path: ['ascending'], message: `ascending has ${config.ascending.length} flags for ${by.length} columns in by` });
    }
  })
  .transform(({ by, ascending, ...rest }) => ({
    ...rest,
    by: (typeof by === 'string' ? [by] : by).map((b, i) => {
      if (typeof b !== 'string') return b;
      const asc = Array.isArray(ascending) ? ascending[i] : ascending;
      return { column: b, direction: asc === false ? ('desc' as const) : ('asc' as const), nulls: undefined };
    }),
  }));

export type SortConfig = z.infer<typeof sortConfigSchema>;

const WHAT = 'sort';
/** Rows per emitted batch. */
const OUT_ROWS = 65_536;

/**
 * Holds every row (as the input batches, not row objects), sorts once at the end with a stable sort
 * on the key columns' exact values, and emits the rows in slices. Text compares by code unit (like
 * COLLATE "C"); PG numeric (text on the wire) compares as a number.
 */
export function createSort(config: SortConfig): StreamOperator {
  return new Sort(config);
}

class Sort implements StreamOperator {
  readonly readOrder = { mode: 'sequential', order: [0] } as const;
  readonly rowWise = true;
  private batches: RecordBatch[] = [];
  private rows = 0;
  private schema: Schema | undefined;
  private columns: number[] = [];

  constructor(private readonly config: SortConfig) {}

  outputSchema([input]: readonly Schema[]): Schema {
    this.columns = columnIndexes(
      input!,
      this.config.by.map((b) => b.column),
      WHAT,
    );
    // Fail before any data moves when a key column has no order.
    this.columns.forEach((c) => cellKind(input!.fields[c]!, WHAT));
    this.schema = input!;
    return input!;
  }

  push(_input: number, batch: RecordBatch): RecordBatch[] {
    if (this.rows + batch.numRows > this.config.max_rows) throw boundExceeded(WHAT, 'rows', this.config.max_rows, 'max_rows');
    this.batches.push(batch);
    this.rows += batch.numRows;
    return [];
  }

  end(): RecordBatch[] {
    return [];
  }

  finish(): RecordBatch[] {
    if (this.rows === 0) return [];
    const all = concatBatches(this.schema!, this.batches);
    this.batches = [];
    const n = all.numRows;
    const keys = this.config.by.map((b, k) => {
      const field = this.schema!.fields[this.columns[k]!]!;
      const kind = cellKind(field, WHAT);
      const read = kind.reader(all.data.children[this.columns[k]!]!);
      const cells = new Array<Cell | null>(n);
      for (let i = 0; i < n; i++) cells[i] = read(i);
      const sign = b.direction === 'desc' ? -1 : 1;
      const nullsFirst = b.nulls ? b.nulls === 'first' : b.direction === 'desc';
      return { cells, compare: kind.compare, sign, nullOrder: nullsFirst ? -1 : 1 };
    });
    const order = Array.from({ length: n }, (_, i) => i);
    // Array.prototype.sort is stable, so equal keys keep their input order.
    order.sort((x, y) => {
      for (const key of keys) {
        const a = key.cells[x]!;
        const b = key.cells[y]!;
        if (a === null || b === null) {
          if (a === b) continue;
          return a === null ? key.nullOrder : -key.nullOrder;
        }
        const c = key.compare(a, b);
        if (c !== 0) return c * key.sign;
      }
      return 0;
    });
    const out: RecordBatch[] = [];
    for (let from = 0; from < n; from += OUT_ROWS) out.push(takeRows(all, Int32Array.from(order.slice(from, from + OUT_ROWS))));
    return out;
  }
}
