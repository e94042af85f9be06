import type { RecordBatch, Schema } from 'apache-arrow';
import { z } from 'zod';
import { concatBatches } from './concat.js';
import { oneOfKeys } from './config-aliases.js';
import { columnNames } from './config-fields.js';
import { rowKeyOf } from './row-keys.js';
import { boundExceeded, columnIndexes } from './stream-columns.js';
import type { StreamOperator } from './stream-operator.js';
import { filterBatch, takeRows } from './take.js';

export const deduplicateConfigSchema = z
  .object({
    /** Omitted (with `columns`): every column, the whole row, as pandas' drop_duplicates() without subset. */
    keys: columnNames.optional(),
    columns: columnNames.optional().describe('the original SynqX name of `keys`'),
    keep: z.enum(['first', 'last']).default('first'),
    max_keys: z.number().int().positive().default(5_000_000),
  })
  .strict()
  .superRefine((config, ctx) => oneOfKeys(config, ctx, 'keys', 'columns', { required: false, what: '' }))
  .transform(({ columns, keys, ...rest }) => ({ ...rest, keys: keys ?? columns }));

export type DeduplicateConfig = z.infer<typeof deduplicateConfigSchema>;

const WHAT = 'deduplicate';

function keyColumns(schema: Schema, keys: readonly string[] | undefined): number[] {
  return keys ? columnIndexes(schema, keys, WHAT) : schema.fields.map((_, i) => i);
}

/**
 * One row per distinct key over the whole run; NULL keys are equal to each other (as in SELECT
 * DISTINCT). keep 'first' streams: each batch leaves with its first-seen rows, and only the set of key
 * encodings is held. keep 'last' holds the latest row per key and emits them at the end, in the order
 * of their last occurrence.
 */
export function createDeduplicate(config: DeduplicateConfig): StreamOperator {
  return config.keep === 'first' ? new KeepFirst(config) : new KeepLast(config);
}

class KeepFirst implements StreamOperator {
  readonly readOrder = { mode: 'sequential', order: [0] } as const;
  readonly rowWise = true;
  private readonly seen = new Set<string>();
  private columns: number[] = [];

  constructor(private readonly config: DeduplicateConfig) {}

  outputSchema([input]: readonly Schema[]): Schema {
    this.columns = keyColumns(input!, this.config.keys);
    return input!;
  }

  push(_input: number, batch: RecordBatch): RecordBatch[] {
    const key = rowKeyOf(batch, this.columns);
    const mask = new Uint8Array(batch.numRows);
    for (let i = 0; i < batch.numRows; i++) {
      const k = key(i);
      if (this.seen.has(k)) continue;
      if (this.seen.size >= this.config.max_keys) throw boundExceeded(WHAT, 'distinct keys', this.config.max_keys, 'max_keys');
      this.seen.add(k);
      mask[i] = 1;
    }
    const out = filterBatch(batch, mask);
    return out.numRows > 0 ? [out] : [];
  }

  end(): RecordBatch[] {
    return [];
  }

  finish(): RecordBatch[] {
    this.seen.clear();
    return [];
  }
}

/** Where a key's latest row is: chunk number and row within it. */
interface Slot {
  chunk: number;
  row: number;
}

class KeepLast implements StreamOperator {
  readonly readOrder = { mode: 'sequential', order: [0] } as const;
  readonly rowWise = true;
  private readonly latest = new Map<string, Slot>();
  /** Copies of the rows that were latest when taken; dead rows are dropped by compaction. */
  private chunks: (RecordBatch | undefined)[] = [];
  private live: number[] = [];
  private held = 0;
  private columns: number[] = [];
  private schema: Schema | undefined;

  constructor(private readonly config: DeduplicateConfig) {}

  outputSchema([input]: readonly Schema[]): Schema {
    this.columns = keyColumns(input!, this.config.keys);
    this.schema = input!;
    return input!;
  }

  push(_input: number, batch: RecordBatch): RecordBatch[] {
    const key = rowKeyOf(batch, this.columns);
    // The batch's own latest row per key first, so only winners are copied. Delete + set keeps the
    // map in last-occurrence order, which is also ascending row order.
    const local = new Map<string, number>();
    let fresh = 0;
    for (let i = 0; i < batch.numRows; i++) {
      const k = key(i);
      if (!local.delete(k) && !this.latest.has(k) && this.latest.size + ++fresh > this.config.max_keys) {
        throw boundExceeded(WHAT, 'distinct keys', this.config.max_keys, 'max_keys');
      }
      local.set(k, i);
    }
    const chunk = this.chunks.length;
    this.chunks.push(takeRows(batch, Int32Array.from(local.values())));
    this.live.push(local.size);
    this.held += local.size;
    let j = 0;
    for (const k of local.keys()) {
      const old = this.latest.get(k);
      if (old) this.release(old);
      // Re-inserting moves the key to the end, so the map stays in order of last occurrence.
      this.latest.delete(k);
      this.latest.set(k, { chunk, row: j++ });
    }
    if (this.held > 2 * this.latest.size + 65_536) this.compact();
    return [];
  }

  end(): RecordBatch[] {
    return [];
  }

  finish(): RecordBatch[] {
    this.compact();
    const out = this.chunks.filter((c): c is RecordBatch => c !== undefined && c.numRows > 0);
    this.chunks = [];
    this.latest.clear();
    return out;
  }

  private release(slot: Slot): void {
    this.held--;
    if (--this.live[slot.chunk]! === 0) this.chunks[slot.chunk] = undefined;
  }

  /** Rewrites the held rows as one chunk holding only the live rows, in last-occurrence order. */
  private compact(): void {
    const parts: RecordBatch[] = [];
    const base: number[] = [];
    let at = 0;
    this.chunks.forEach((c, i) => {
      if (!c) return;
      base[i] = at;
      parts.push(c);
      at += c.numRows;
    });
    if (this.latest.size === 0 || parts.length === 0) {
      this.chunks = [];
      this.live = [];
      this.held = 0;
      return;
    }
    const merged = concatBatches(this.schema!, parts);
    const rows = new Int32Array(this.latest.size);
    let j = 0;
    for (const slot of this.latest.values()) {
      rows[j] = base[slot.chunk]! + slot.row;
      slot.chunk = 0;
      slot.row = j++;
    }
    const live = takeRows(merged, rows);
    this.chunks = [live];
    this.live = [live.numRows];
    this.held = live.numRows;
  }
}
