import type { Cast, CastTarget } from './ast.js';
import { cellText, mapCells, rowDataError, type Cell } from './cells.js';
import type { Bound } from './compile.js';
import { expressionError } from './expr-error.js';
import { inIntegerRange, INT64_MAX, INT64_MIN } from './integer-range.js';
import type { SqlType } from './sql-types.js';
import { DAY_MICROS, parseTimestampLiteral, TYPE_NAMES, type ValueType } from './values.js';

const RESULT: Record<CastTarget, ValueType> = { int: 'num', bigint: 'int64', double: 'num', text: 'str', bool: 'bool', date: 'time', timestamp: 'time' };

/** Which source types each target accepts (as Postgres does: no bool → double, no number → date). */
const ACCEPTS: Record<CastTarget, readonly ValueType[]> = {
  int: ['num', 'int64', 'str', 'bool'],
  bigint: ['num', 'int64', 'str', 'bool'],
  double: ['num', 'int64', 'str'],
  text: ['num', 'int64', 'str', 'bool', 'time'],
  bool: ['num', 'int64', 'str', 'bool'],
  date: ['str', 'time'],
  timestamp: ['str', 'time'],
};

/** Whether CAST from this evaluator type to `to` is allowed at all (a type question, not a value one). */
export function castAccepts(from: ValueType, to: CastTarget): boolean {
  return ACCEPTS[to].includes(from);
}

const INT_RE = /^[+-]?\d+$/;
const FLOAT_RE = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$|^[+-]?(infinity|inf)$|^nan$/i;
const TRUE_WORDS = new Set(['t', 'true', 'y', 'yes', 'on', '1']);
const FALSE_WORDS = new Set(['f', 'false', 'n', 'no', 'off', '0']);

/** A value that does not convert; the message (possibly empty) says why beyond "cannot cast". */
export class CastFailure extends Error {}

/** Half away from zero, as Postgres rounds numeric → integer. */
const roundHalfAway = (x: number) => Math.sign(x) * Math.round(Math.abs(x));

/** One non-NULL cell converted as CAST(… AS to) does (Postgres rules); throws CastFailure. type_cast reuses it. */
export function castCell(c: Cell, from: ValueType, to: CastTarget): Cell {
  switch (to) {
    case 'int': {
      let x: number;
      if (typeof c === 'string') {
        if (!INT_RE.test(c.trim())) throw new CastFailure();
        x = Number(c.trim());
      } else x = typeof c === 'boolean' ? Number(c) : roundHalfAway(Number(c));
      if (!inIntegerRange(x, 'int4')) throw new CastFailure('out of range for int');
      return x;
    }
    case 'bigint': {
      let x: bigint;
      if (typeof c === 'string') {
        if (!INT_RE.test(c.trim())) throw new CastFailure();
        x = BigInt(c.trim());
      } else if (typeof c === 'bigint') x = c;
      else if (typeof c === 'boolean') x = c ? 1n : 0n;
      else {
        if (!Number.isFinite(c as number)) throw new CastFailure('out of range for bigint');
        x = BigInt(roundHalfAway(c as number));
      }
      if (x < INT64_MIN || x > INT64_MAX) throw new CastFailure('out of range for bigint');
      return x;
    }
    case 'double':
      if (typeof c === 'string') {
        const s = c.trim();
        if (!FLOAT_RE.test(s)) throw new CastFailure();
        return /inf/i.test(s) ? (s.startsWith('-') ? -Infinity : Infinity) : Number(s);
      }
      return Number(c);
    case 'text':
      return typeof c === 'boolean' ? String(c) : cellText(c, from);
    case 'bool':
      if (typeof c === 'string') {
        const w = c.trim().toLowerCase();
        if (TRUE_WORDS.has(w)) return true;
        if (FALSE_WORDS.has(w)) return false;
        throw new CastFailure();
      }
      return typeof c === 'boolean' ? c : Number(c) !== 0;
    case 'date':
    case 'timestamp': {
      let micros: number | undefined;
      if (typeof c === 'string') micros = parseTimestampLiteral(c);
      else micros = c as number;
      if (micros === undefined) throw new CastFailure();
      return to === 'date' ? Math.floor(micros / DAY_MICROS) * DAY_MICROS : micros;
    }
  }
}

/** smallint and real share int's and double's conversion; their narrower range is checked after it. */
function narrow(sqlType: SqlType, c: Cell): Cell {
  if (sqlType === 'int2' && !inIntegerRange(c as number, 'int2')) throw new CastFailure('out of range for smallint');
  if (sqlType === 'float4') {
    const f = Math.fround(c as number);
    if (Number.isFinite(c) && !Number.isFinite(f)) throw new CastFailure('out of range for real');
    return f;
  }
  return c;
}

export function bindCast(e: Cast, operand: Bound): Bound {
  const from = operand.type;
  const to = e.target;
  if (from !== 'null' && !castAccepts(from, to)) {
    throw expressionError('expression_type', e.operand.pos, `cannot cast ${TYPE_NAMES[from]} to ${to}`, ACCEPTS[to].map((t) => TYPE_NAMES[t]));
  }
  const sqlType = e.sqlType;
  const shownTarget = sqlType === 'int2' ? 'smallint' : sqlType === 'float4' ? 'real' : to;
  return {
    type: RESULT[to],
    sqlType,
    eval: (f) =>
      mapCells([operand.eval(f)], f.n, RESULT[to], true, ([c], row) => {
        try {
          return narrow(sqlType, castCell(c!, from, to));
        } catch (err) {
          if (!(err instanceof CastFailure)) throw err;
          const shown = typeof c === 'string' ? `'${c}'` : String(c);
          const why = err.message ? `: ${err.message}` : '';
          const what = `cannot cast ${shown} to ${shownTarget}${why}`;
          // A constant that cannot be cast is found while binding, so it is a validation error.
          if (row < 0) throw expressionError('expression_type', e.pos, what);
          throw rowDataError(f, row, e.pos, what, shown);
        }
      }),
  };
}
