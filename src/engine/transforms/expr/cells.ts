import { SynqxError } from '../../../core/errors.js';
import type { EvalFrame } from './compile.js';
import type { Val, ValueType, Vec } from './values.js';

/**
 * Row-wise access for the kernels that have no typed-array fast path (functions, casts, case). A cell is
 * one row's value: number (num, and time as epoch microseconds), bigint (int64), string, boolean or null.
 */
export type Cell = number | bigint | string | boolean | null;

export function cellGetter(v: Val): (i: number) => Cell {
  if (v.s) {
    const x = v.value;
    return () => x;
  }
  if (v.type === 'null') return () => null;
  const valid = v.valid;
  if (v.type === 'bool') {
    const a = v.values;
    return (i) => (valid && !valid[i] ? null : a[i] === 1);
  }
  if (v.type === 'str') {
    const a = v.values;
    return (i) => (valid && !valid[i] ? null : a.get(i));
  }
  const a = v.values;
  return (i) => (valid && !valid[i] ? null : a[i]!);
}

/** Converts a cell to the representation of `type` (int64 → num widening for mixed branches). */
function coerce(type: ValueType, c: Cell): Cell {
  if (c === null) return null;
  if (type === 'num' || type === 'time') return Number(c);
  if (type === 'int64') return typeof c === 'bigint' ? c : BigInt(c as number);
  return c;
}

export function buildVec(type: ValueType, n: number, cell: (i: number) => Cell): Vec {
  let valid: Uint8Array | null = null;
  const markNull = (i: number) => {
    if (!valid) valid = new Uint8Array(n).fill(1);
    valid[i] = 0;
  };
  switch (type) {
    case 'null':
      return { s: false, type: 'null' };
    case 'bool': {
      const values = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const c = cell(i);
        if (c === null) markNull(i);
        else values[i] = c ? 1 : 0;
      }
      return { s: false, type, values, valid };
    }
    case 'int64': {
      const values = new BigInt64Array(n);
      for (let i = 0; i < n; i++) {
        const c = coerce(type, cell(i));
        if (c === null) markNull(i);
        else values[i] = c as bigint;
      }
      return { s: false, type, values, valid };
    }
    case 'str': {
      const values = new Array<string>(n);
      for (let i = 0; i < n; i++) {
        const c = cell(i);
        if (c === null) {
          markNull(i);
          values[i] = '';
        } else values[i] = c as string;
      }
      return { s: false, type, values: { get: (i) => values[i]! }, valid };
    }
    case 'num':
    case 'time': {
      const values = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const c = coerce(type, cell(i));
        if (c === null) markNull(i);
        else values[i] = c as number;
      }
      return { s: false, type, values, valid };
    }
  }
}

/**
 * Applies `fn` row by row over the arguments; when every argument is a scalar it runs once (row -1).
 * `strict`: any NULL argument gives NULL without calling `fn`, as for most SQL functions.
 */
export function mapCells(args: Val[], n: number, type: ValueType, strict: boolean, fn: (cells: Cell[], row: number) => Cell): Val {
  const getters = args.map(cellGetter);
  const cells = new Array<Cell>(args.length);
  const at = (i: number): Cell => {
    for (let j = 0; j < getters.length; j++) {
      cells[j] = getters[j]!(i);
      if (strict && cells[j] === null) return null;
    }
    return fn(cells, i);
  };
  if (args.every((a) => a.s)) {
    const value = coerce(type, at(-1));
    return { s: true, type, value } as Val;
  }
  return buildVec(type, n, at);
}

const pad = (x: number, w = 2) => String(x).padStart(w, '0');

/** Text form of a cell, as Postgres prints it (timestamps in UTC, `YYYY-MM-DD HH:MM:SS[.ffffff]`). */
export function cellText(c: Cell, type: ValueType): string | null {
  if (c === null) return null;
  if (type === 'time') {
    const micros = c as number;
    const ms = Math.floor(micros / 1000);
    const d = new Date(ms);
    const frac = Math.round(micros - ms * 1000) + d.getUTCMilliseconds() * 1000;
    const base = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
    return frac ? `${base}.${pad(frac, 6).replace(/0+$/, '')}` : base;
  }
  return String(c);
}

/**
 * A value the expression at `pos` cannot compute for row `i` of frame `f`: DATA_ERROR naming the
 * row of the batch (not of a filtered frame) and the position, with `value` as shown.
 */
export function rowDataError(f: EvalFrame, i: number, pos: number, what: string, value: string): SynqxError {
  const row = (f.rows ? f.rows[i]! : i) + 1;
  return new SynqxError('DATA_ERROR', `${what} (row ${row} of the batch, at position ${pos + 1})`, {
    details: { row, position: pos + 1, value },
  });
}
