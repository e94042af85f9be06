import { DataType, type Data, type RecordBatch, type Schema } from 'apache-arrow';
import { SynqxError } from '../../core/errors.js';
import { setColumn } from './column-data.js';
import { isNumericColumn } from './aggregate-accumulators.js';
import { columnFill, type WholeRunStrategy } from './fill-nulls-stats.js';
import type { StrategyFill } from './fill-nulls.js';
import { validity } from './row-keys.js';
import { boundExceeded, columnIndexes } from './stream-columns.js';
import type { StreamOperator } from './stream-operator.js';
import { takeFrom } from './take-from.js';
import { takeData } from './take.js';

/**
 * fill_nulls with a computed `strategy`: a NULL takes a value from elsewhere in its column, possibly
 * from another batch, so these run as stream operators in the node's actor (a literal fill stays on
 * the pool). Rows keep their order and count (rowWise, nothing filtered); every fill is gathered with
 * takeFrom from the cell it copies, so any column type is filled exactly.
 *
 * - forward: the last non-NULL value before, in stream order; streams, holding one cell per column.
 * - backward: the next non-NULL value after; a row is held only until each of its NULL cells has one
 *   (at most max_rows held), and NULLs with none by the end of the run stay NULL.
 * - mean, median, mode: a statistic of the whole run, so every row is held (max_rows) and emitted at
 *   the end (fill-nulls-stats.ts).
 */
export function createFillStrategy(config: StrategyFill): StreamOperator {
  if (config.strategy === 'forward') return new ForwardFill(config);
  if (config.strategy === 'backward') return new BackwardFill(config);
  return new WholeRunFill(config, config.strategy);
}

const what = (config: StrategyFill) => `fill_nulls (strategy ${config.strategy})`;

/**
 * The columns a strategy fills: the named ones (each must exist, and be numeric for mean and median),
 * else every column (mean and median: every numeric one, as pandas' numeric_only). A column of Arrow
 * type Null can hold nothing else and is left alone (backward would otherwise hold every row for it).
 */
function targetColumns(schema: Schema, config: StrategyFill): number[] {
  const numericOnly = config.strategy === 'mean' || config.strategy === 'median';
  if (!config.columns) return schema.fields.flatMap((f, i) => (!DataType.isNull(f.type) && (!numericOnly || isNumericColumn(f)) ? [i] : []));
  const named = [...new Set(columnIndexes(schema, config.columns, 'fill_nulls'))];
  for (const i of named) {
    const f = schema.fields[i]!;
    if (numericOnly && !isNumericColumn(f)) {
      throw new SynqxError('DATA_ERROR', `${what(config)}: column "${f.name}" has type ${String(f.type)}; mean and median fill integer, float and numeric columns`);
    }
  }
  return named.filter((i) => !DataType.isNull(schema.fields[i]!.type));
}

/** `batch` with column `c` rebuilt: row j is row rows[j] of sources[which[j]], NULL where which[j] < 0. */
function gathered(batch: RecordBatch, c: number, sources: readonly Data[], which: Int32Array, rows: Int32Array): RecordBatch {
  const field = batch.schema.fields[c]!;
  return setColumn(batch, c, field, takeFrom(field.type, sources, which, rows));
}

/** One cell copied out, so holding it does not keep its whole batch's buffers alive. */
function cellAt(data: Data, row: number): Data {
  return takeData(data, Int32Array.of(row));
}

abstract class FillOperator implements StreamOperator {
  readonly readOrder = { mode: 'sequential', order: [0] } as const;
  readonly rowWise = true;
  protected targets: number[] = [];

  constructor(protected readonly config: StrategyFill) {}

  outputSchema([input]: readonly Schema[]): Schema {
    this.targets = targetColumns(input!, this.config);
    return input!;
  }

  abstract push(input: number, batch: RecordBatch): RecordBatch[];

  end(): RecordBatch[] {
    return [];
  }

  abstract finish(): RecordBatch[];
}

class ForwardFill extends FillOperator {
  /** Per target column, the last non-NULL cell seen so far (a one-row copy). */
  private last: (Data | undefined)[] = [];

  push(_input: number, batch: RecordBatch): RecordBatch[] {
    let out = batch;
    this.targets.forEach((c, k) => {
      const data = batch.data.children[c]!;
      const n = data.length;
      const valid = validity(data);
      if (n === 0) return;
      if (!valid) {
        this.last[k] = cellAt(data, n - 1);
        return;
      }
      // Source 0 is this batch, source 1 the last value of the batches before it (if any).
      const prev = this.last[k];
      const which = new Int32Array(n);
      const rows = new Int32Array(n);
      let w = prev ? 1 : -1;
      let r = 0;
      for (let i = 0; i < n; i++) {
        if (valid(i)) {
          w = 0;
          r = i;
        }
        which[i] = w;
        rows[i] = r;
      }
      if (w === 0) this.last[k] = cellAt(data, r);
      out = gathered(out, c, prev ? [data, prev] : [data], which, rows);
    });
    return [out];
  }

  finish(): RecordBatch[] {
    this.last = [];
    return [];
  }
}

/**
 * Rows are numbered in stream order from 0. A target column's NULL cell can be filled once a later
 * non-NULL cell in that column has arrived, so rows leave in order up to the first row of the
 * earliest column's trailing NULL run (`waitingFrom`); the rest stay held, their batches as received.
 */
class BackwardFill extends FillOperator {
  private held: RecordBatch[] = [];
  /** Row number of each held batch's row 0. */
  private starts: number[] = [];
  /** Rows pushed so far, and the first row not yet emitted. */
  private total = 0;
  private emitted = 0;
  /** Per target column: first row of its trailing NULL run (cells still waiting), if it has one. */
  private waitingFrom: (number | undefined)[] = [];
  /** Per target column: the row of the non-NULL cell the last lookahead found (Infinity: none until the end). */
  private found: number[] = [];

  push(_input: number, batch: RecordBatch): RecordBatch[] {
    const n = batch.numRows;
    if (n === 0) return [];
    const start = this.total;
    this.held.push(batch);
    this.starts.push(start);
    this.total += n;
    this.targets.forEach((c, k) => {
      const valid = validity(batch.data.children[c]!);
      let last = n - 1;
      if (valid) while (last >= 0 && !valid(last)) last--;
      if (last < 0) this.waitingFrom[k] ??= start;
      else this.waitingFrom[k] = last === n - 1 ? undefined : start + last + 1;
    });
    const until = Math.min(this.total, ...this.waitingFrom.map((w) => w ?? Infinity));
    const out = this.emit(until);
    if (this.total - this.emitted > this.config.max_rows) {
      throw boundExceeded(what(this.config), 'rows waiting for a later non-NULL value', this.config.max_rows, 'max_rows');
    }
    return out;
  }

  finish(): RecordBatch[] {
    const out = this.emit(this.total);
    this.held = [];
    this.starts = [];
    return out;
  }

  /** Emits rows emitted…until-1, batch by batch as they were received, and drops the batches done. */
  private emit(until: number): RecordBatch[] {
    const out: RecordBatch[] = [];
    let b = 0;
    while (this.emitted < until && b < this.held.length) {
      const batch = this.held[b]!;
      const start = this.starts[b]!;
      const lo = this.emitted - start;
      const hi = Math.min(batch.numRows, until - start);
      if (hi > lo) out.push(this.filled(b, lo, hi));
      this.emitted = start + hi;
      if (hi < batch.numRows) break;
      b++;
    }
    this.held.splice(0, b);
    this.starts.splice(0, b);
    return out;
  }

  /** Rows lo…hi-1 of held batch b, each NULL target cell taking the next non-NULL cell of its column. */
  private filled(b: number, lo: number, hi: number): RecordBatch {
    const batch = this.held[b]!;
    let out = lo === 0 && hi === batch.numRows ? batch : batch.slice(lo, hi);
    this.targets.forEach((c, k) => {
      const data = batch.data.children[c]!;
      const valid = validity(data);
      if (!valid) return;
      const which = new Int32Array(hi - lo);
      const rows = new Int32Array(hi - lo);
      let lastSource = b;
      for (let i = lo; i < hi; i++) {
        const j = i - lo;
        if (valid(i)) {
          which[j] = 0;
          rows[j] = i;
          continue;
        }
        const row = this.starts[b]! + i;
        if (!(this.found[k]! > row)) this.found[k] = this.lookahead(c, b, i + 1);
        const f = this.found[k]!;
        if (f === Infinity) {
          which[j] = -1;
          continue;
        }
        const fb = this.batchOf(f, b);
        which[j] = fb - b;
        rows[j] = f - this.starts[fb]!;
        lastSource = Math.max(lastSource, fb);
      }
      const sources = this.held.slice(b, lastSource + 1).map((h) => h.data.children[c]!);
      out = gathered(out, c, sources, which, rows);
    });
    return out;
  }

  /**
   * The row of the first non-NULL cell of column `c` from row `from` of held batch `b` on, or Infinity.
   * Each search starts past the previous one's find (only NULLs lie between), so over the run every
   * row is looked at about once per column, however long a NULL run is.
   */
  private lookahead(c: number, b: number, from: number): number {
    for (let h = b; h < this.held.length; h++) {
      const data = this.held[h]!.data.children[c]!;
      const valid = validity(data);
      for (let i = h === b ? from : 0; i < data.length; i++) if (!valid || valid(i)) return this.starts[h]! + i;
    }
    return Infinity;
  }

  /** The held batch holding row `row` (at or after batch `from`). */
  private batchOf(row: number, from: number): number {
    let lo = from;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= row) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

/** mean, median, mode: every row held until the end, when the statistic of each column is known. */
class WholeRunFill extends FillOperator {
  private batches: RecordBatch[] = [];
  private rows = 0;

  constructor(
    config: StrategyFill,
    private readonly strategy: WholeRunStrategy,
  ) {
    super(config);
  }

  push(_input: number, batch: RecordBatch): RecordBatch[] {
    if (this.rows + batch.numRows > this.config.max_rows) throw boundExceeded(what(this.config), 'rows', this.config.max_rows, 'max_rows');
    if (batch.numRows > 0) this.batches.push(batch);
    this.rows += batch.numRows;
    return [];
  }

  finish(): RecordBatch[] {
    const batches = this.batches;
    this.batches = [];
    if (batches.length === 0) return [];
    const fields = batches[0]!.schema.fields;
    const fills = this.targets.map((c) => columnFill(this.strategy, fields[c]!, batches.map((b) => b.data.children[c]!)));
    return batches.map((batch) => {
      let out = batch;
      this.targets.forEach((c, k) => {
        const fill = fills[k];
        const data = batch.data.children[c]!;
        const valid = validity(data);
        if (!fill || !valid) return;
        // Source 0 is the batch's own column, source 1 the one-row fill.
        const which = new Int32Array(data.length);
        const rows = new Int32Array(data.length);
        for (let i = 0; i < data.length; i++) {
          if (valid(i)) rows[i] = i;
          else which[i] = 1;
        }
        out = gathered(out, c, [data, fill], which, rows);
      });
      return out;
    });
  }
}
