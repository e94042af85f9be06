import type { Data, RecordBatch } from 'apache-arrow';

/**
 * The batches of an input an operator holds in memory (a join's build side, a merge's delta), as
 * received: never copied, never mutated. Rows are numbered 0…count-1 across batches, so a hash table
 * can store one number per row; `locate` turns that number back into (batch, row) for `takeFrom`.
 */
export class HeldRows {
  readonly batches: RecordBatch[] = [];
  private readonly starts: number[] = [];
  count = 0;

  /** Holds a batch (empty ones are not kept) and returns the number of its first row. */
  add(batch: RecordBatch): number {
    const first = this.count;
    if (batch.numRows > 0) {
      this.batches.push(batch);
      this.starts.push(first);
      this.count += batch.numRows;
    }
    return first;
  }

  /** Writes the batch index and row of held row `id` into `which[j]` and `rows[j]`. */
  locate(id: number, which: Int32Array, rows: Int32Array, j: number): void {
    const starts = this.starts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= id) lo = mid;
      else hi = mid - 1;
    }
    which[j] = lo;
    rows[j] = id - starts[lo]!;
  }

  /** Column `index` of every held batch, in order (the `sources` of `takeFrom`). */
  column(index: number): Data[] {
    return this.batches.map((b) => b.data.children[index]!);
  }
}
