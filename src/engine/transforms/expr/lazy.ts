import { buildVec, cellGetter, type Cell } from './cells.js';
import type { Bound, EvalFrame } from './compile.js';
import type { Val, ValueType } from './values.js';

/**
 * Lazy branches for `case` and `coalesce`, column-at-a-time: each branch is evaluated only over the rows
 * that reach it (gathered into a smaller frame), so a cast or a division in a branch a row does not take
 * cannot fail that row — as in SQL, where `case when x ~ '^\d+$' then cast(x as int) end` is safe.
 */
function gatherBytes(src: Uint8Array, rows: Uint32Array): Uint8Array {
  const out = new Uint8Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = src[rows[i]!]!;
  return out;
}

export function gather(v: Val, rows: Uint32Array): Val {
  if (v.s || v.type === 'null') return v;
  const m = rows.length;
  const valid = v.valid ? gatherBytes(v.valid, rows) : null;
  switch (v.type) {
    case 'bool':
      return { s: false, type: 'bool', values: gatherBytes(v.values, rows), valid };
    case 'str': {
      const src = v.values;
      return { s: false, type: 'str', values: { get: (i) => src.get(rows[i]!) }, valid };
    }
    case 'int64': {
      const out = new BigInt64Array(m);
      for (let i = 0; i < m; i++) out[i] = v.values[rows[i]!]!;
      return { s: false, type: 'int64', values: out, valid };
    }
    default: {
      const out = new Float64Array(m);
      for (let i = 0; i < m; i++) out[i] = v.values[rows[i]!]!;
      return { s: false, type: v.type, values: out, valid };
    }
  }
}

/** The frame restricted to `rows` (null: all rows, the frame itself). */
export function subFrame(f: EvalFrame, rows: Uint32Array | null): EvalFrame {
  if (rows === null) return f;
  const cache = new Map<number, Val>();
  return {
    batch: f.batch,
    n: rows.length,
    now: f.now,
    rows: f.rows ? rows.map((r) => f.rows![r]!) : rows,
    validity: (index) => {
      const v = f.validity(index);
      return v && gatherBytes(v, rows);
    },
    column(index) {
      let v = cache.get(index);
      if (!v) {
        v = gather(f.column(index), rows);
        cache.set(index, v);
      }
      return v;
    },
  };
}

/**
 * Runs `steps` in order over shrinking row sets. Each step gets the rows still open (null: all) and
 * returns, per row of that set, a cell to settle the row with, or `undefined` to pass it on.
 */
export function settleRows(
  f: EvalFrame,
  type: ValueType,
  steps: ((frame: EvalFrame) => (i: number) => Cell | undefined)[],
): Val {
  const out = new Array<Cell>(f.n).fill(null);
  let open: Uint32Array | null = null;
  for (const step of steps) {
    if (open && open.length === 0) break;
    const frame = subFrame(f, open);
    const pick = step(frame);
    const rest: number[] = [];
    for (let i = 0; i < frame.n; i++) {
      const row = open ? open[i]! : i;
      const c = pick(i);
      if (c === undefined) rest.push(row);
      else out[row] = c;
    }
    if (rest.length === frame.n && open) continue;
    open = rest.length === f.n ? null : Uint32Array.from(rest);
  }
  return buildVec(type, f.n, (i) => out[i]!);
}

/** Evaluates a bound over a frame and reads it cell by cell. */
export function cellsOf(b: Bound, frame: EvalFrame): (i: number) => Cell {
  return cellGetter(b.eval(frame));
}
