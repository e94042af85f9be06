import { SynqxError } from '../../../core/errors.js';
import type { ArithmeticOp, ComparisonOp } from './ast.js';
import type { Scalar, Val, Validity, Vec } from './values.js';

/**
 * Column-at-a-time kernels with SQL three-valued logic. Each takes vectors or scalars and returns a
 * vector of `n` rows (or a scalar when every input is one). Loops are over typed arrays, with the
 * operator chosen outside the loop.
 */
export type BoolVec = { s: false; type: 'bool'; values: Uint8Array; valid: Validity };
type BoolVal = BoolVec | { s: true; type: 'bool'; value: boolean | null };

export function andValidity(a: Validity, b: Validity, n: number): Validity {
  if (!a) return b;
  if (!b) return a;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = a[i]! & b[i]!;
  return out;
}

function validityOf(v: Val, n: number): Validity {
  if (v.s) return v.value === null ? new Uint8Array(n) : null;
  return v.type === 'null' ? new Uint8Array(n) : v.valid;
}

function allNullBool(n: number): BoolVec {
  return { s: false, type: 'bool', values: new Uint8Array(n), valid: new Uint8Array(n) };
}

/** Float view of a numeric or temporal value (scalars stay numbers). */
function floats(v: Val, n: number): Float64Array | number {
  if (v.s) return Number(v.value);
  if (v.type === 'num' || v.type === 'time') return v.values;
  if (v.type === 'int64') {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = Number(v.values[i]!);
    return out;
  }
  throw new SynqxError('INTERNAL', `not a numeric vector: ${v.type}`);
}

export function compare(op: ComparisonOp, a: Val, b: Val, n: number): BoolVal {
  if (a.type === 'null' || b.type === 'null') return a.s && b.s ? { s: true, type: 'bool', value: null } : allNullBool(n);
  if (a.s && b.s) {
    if (a.value === null || b.value === null) return { s: true, type: 'bool', value: null };
    const x = exactScalar(a);
    const y = exactScalar(b);
    return { s: true, type: 'bool', value: cmp(op, x as number, y as number) };
  }
  const valid = andValidity(validityOf(a, n), validityOf(b, n), n);
  const out = new Uint8Array(n);
  if (a.type === 'int64' || b.type === 'int64') {
    const ea = exactInts(a);
    const eb = exactInts(b);
    if (ea && eb) {
      cmpLoop(op, ea, eb, n, out);
      return { s: false, type: 'bool', values: out, valid };
    }
  }
  switch (a.type) {
    case 'num':
    case 'int64':
    case 'time':
      cmpFloats(op, floats(a, n), floats(b, n), n, out);
      break;
    case 'bool':
      cmpLoop(op, a.s ? Number(a.value) : a.values, b.s ? Number(b.value) : (b as Vec & { type: 'bool' }).values, n, out);
      break;
    case 'str':
      compareStrings(op, a, b as Val & { type: 'str' }, n, out);
      break;
  }
  return { s: false, type: 'bool', values: out, valid };
}

function exactScalar(v: Scalar): unknown {
  if ((v.type === 'num' || v.type === 'time') && v.big !== undefined) return v.big;
  return v.value;
}

/** Exact int64 view: int64 columns and integer literals; undefined when a side is fractional. */
function exactInts(v: Val): BigInt64Array | bigint | undefined {
  if (v.s) {
    if (v.type === 'int64') return v.value ?? 0n;
    if (v.type === 'num') return v.big;
    return undefined;
  }
  return v.type === 'int64' ? v.values : undefined;
}

function cmp<T extends number | bigint | string>(op: ComparisonOp, x: T, y: T): boolean {
  switch (op) {
    case '=':
      return x === y;
    case '!=':
      return x !== y;
    case '<':
      return x < y;
    case '<=':
      return x <= y;
    case '>':
      return x > y;
    case '>=':
      return x >= y;
  }
}

function cmpFloats(op: ComparisonOp, a: Float64Array | number, b: Float64Array | number, n: number, out: Uint8Array): void {
  if (typeof b === 'number' && typeof a !== 'number') {
    // The common `col > 28` shape gets its own loops.
    switch (op) {
      case '=': for (let i = 0; i < n; i++) out[i] = a[i] === b ? 1 : 0; return;
      case '!=': for (let i = 0; i < n; i++) out[i] = a[i] !== b ? 1 : 0; return;
      case '<': for (let i = 0; i < n; i++) out[i] = a[i]! < b ? 1 : 0; return;
      case '<=': for (let i = 0; i < n; i++) out[i] = a[i]! <= b ? 1 : 0; return;
      case '>': for (let i = 0; i < n; i++) out[i] = a[i]! > b ? 1 : 0; return;
      case '>=': for (let i = 0; i < n; i++) out[i] = a[i]! >= b ? 1 : 0; return;
    }
  }
  cmpLoop(op, a, b, n, out);
}

function cmpLoop(
  op: ComparisonOp,
  a: ArrayLike<number | bigint | string> | number | bigint,
  b: ArrayLike<number | bigint | string> | number | bigint,
  n: number,
  out: Uint8Array,
): void {
  const at = typeof a === 'object' ? (i: number) => a[i]! : () => a;
  const bt = typeof b === 'object' ? (i: number) => b[i]! : () => b;
  for (let i = 0; i < n; i++) out[i] = cmp(op, at(i) as number, bt(i) as number) ? 1 : 0;
}

const encoder = new TextEncoder();

function compareStrings(op: ComparisonOp, a: Val & { type: 'str' }, b: Val & { type: 'str' }, n: number, out: Uint8Array): void {
  if ((op === '=' || op === '!=') && !a.s && b.s && a.values.utf8 && b.value !== null) {
    // Equality against a literal compares UTF-8 bytes, without decoding a string per row.
    const { data, offsets } = a.values.utf8;
    const lit = encoder.encode(b.value);
    const hit = op === '=' ? 1 : 0;
    for (let i = 0; i < n; i++) {
      const s = offsets[i]!;
      let eq = offsets[i + 1]! - s === lit.length;
      for (let k = 0; eq && k < lit.length; k++) eq = data[s + k] === lit[k];
      out[i] = eq ? hit : 1 - hit;
    }
    return;
  }
  if (a.s && !b.s) return compareStrings(flip(op), b, a, n, out);
  const at = a.s ? () => a.value! : (i: number) => a.values.get(i);
  const bt = b.s ? () => b.value! : (i: number) => b.values.get(i);
  const valid = andValidity(validityOf(a, n), validityOf(b, n), n);
  for (let i = 0; i < n; i++) out[i] = valid && !valid[i] ? 0 : cmp(op, at(i), bt(i)) ? 1 : 0;
}

function flip(op: ComparisonOp): ComparisonOp {
  return op === '<' ? '>' : op === '>' ? '<' : op === '<=' ? '>=' : op === '>=' ? '<=' : op;
}

export function arithmetic(op: ArithmeticOp, a: Val, b: Val, n: number, pos: number): Val {
  if (a.type === 'null' || b.type === 'null' || (a.s && a.value === null) || (b.s && b.value === null)) {
    return a.s && b.s ? { s: true, type: 'num', value: null } : { s: false, type: 'num', values: new Float64Array(n), valid: new Uint8Array(n) };
  }
  if (a.s && b.s) {
    const x = Number(a.value);
    const y = Number(b.value);
    return { s: true, type: 'num', value: arith(op, x, y, pos) };
  }
  const x = floats(a, n);
  const y = floats(b, n);
  const valid = andValidity(validityOf(a, n), validityOf(b, n), n);
  const out = new Float64Array(n);
  const xt = typeof x === 'number' ? () => x : (i: number) => x[i]!;
  const yt = typeof y === 'number' ? () => y : (i: number) => y[i]!;
  for (let i = 0; i < n; i++) {
    if (valid && !valid[i]) continue;
    out[i] = arith(op, xt(i), yt(i), pos);
  }
  return { s: false, type: 'num', values: out, valid };
}

function arith(op: ArithmeticOp, x: number, y: number, pos: number): number {
  switch (op) {
    case '+':
      return x + y;
    case '-':
      return x - y;
    case '*':
      return x * y;
    case '/':
    case '%':
      // SQL semantics: an error, not Infinity (which would silently pass or fail every comparison).
      if (y === 0) throw new SynqxError('DATA_ERROR', `division by zero (at position ${pos + 1})`);
      return op === '/' ? x / y : x % y;
  }
}

export function negate(v: Val, n: number): Val {
  if (v.s) return { s: true, type: 'num', value: v.value === null ? null : -Number(v.value) };
  if (v.type === 'null') return v;
  const x = floats(v, n) as Float64Array;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = -x[i]!;
  return { s: false, type: 'num', values: out, valid: v.valid };
}

export function asBool(v: Val, n: number): BoolVal {
  if (v.type === 'bool') return v;
  if (v.type === 'null') return v.s ? { s: true, type: 'bool', value: null } : allNullBool(n);
  throw new SynqxError('INTERNAL', `not a boolean: ${v.type}`);
}

export function not(v: BoolVal, n: number): BoolVal {
  if (v.s) return { s: true, type: 'bool', value: v.value === null ? null : !v.value };
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = 1 - v.values[i]!;
  return { s: false, type: 'bool', values: out, valid: v.valid };
}

/** `and`/`or` with SQL three-valued logic: false and NULL = false, true or NULL = true. */
export function logical(op: 'and' | 'or', a: BoolVal, b: BoolVal, n: number): BoolVal {
  if (a.s && b.s) {
    const x = a.value;
    const y = b.value;
    if (op === 'and') return { s: true, type: 'bool', value: x === false || y === false ? false : x === null || y === null ? null : true };
    return { s: true, type: 'bool', value: x === true || y === true ? true : x === null || y === null ? null : false };
  }
  const dominant = op === 'and' ? 0 : 1;
  const av = a.s ? null : a.values;
  const bv = b.s ? null : b.values;
  const aValid = a.s ? (a.value === null ? 0 : 1) : a.valid;
  const bValid = b.s ? (b.value === null ? 0 : 1) : b.valid;
  const aConst = a.s ? Number(a.value) : 0;
  const bConst = b.s ? Number(b.value) : 0;
  const values = new Uint8Array(n);
  let valid: Uint8Array | null = null;
  for (let i = 0; i < n; i++) {
    const x = av ? av[i]! : aConst;
    const y = bv ? bv[i]! : bConst;
    const xv = typeof aValid === 'number' ? aValid : aValid ? aValid[i]! : 1;
    const yv = typeof bValid === 'number' ? bValid : bValid ? bValid[i]! : 1;
    if ((xv && x === dominant) || (yv && y === dominant)) {
      values[i] = dominant;
      continue;
    }
    values[i] = 1 - dominant;
    if (!xv || !yv) {
      valid ??= new Uint8Array(n).fill(1);
      valid[i] = 0;
    }
  }
  return { s: false, type: 'bool', values, valid };
}

export function isNull(v: Val, negated: boolean, n: number): BoolVal {
  if (v.s) return { s: true, type: 'bool', value: (v.value === null) !== negated };
  const valid = validityOf(v, n);
  const values = new Uint8Array(n);
  for (let i = 0; i < n; i++) values[i] = ((valid ? valid[i] : 1) === 0) !== negated ? 1 : 0;
  return { s: false, type: 'bool', values, valid: null };
}

/** `x in (literals…)` through a set: true on a hit, else NULL if the list or x holds NULL, else false. */
export function inSet(v: Val, set: ReadonlySet<string | number | bigint | boolean>, listHasNull: boolean, n: number): BoolVal {
  const key = (x: unknown) => x as string | number | bigint | boolean;
  if (v.s) {
    if (v.value === null) return { s: true, type: 'bool', value: null };
    return { s: true, type: 'bool', value: set.has(key(v.value)) ? true : listHasNull ? null : false };
  }
  if (v.type === 'null') return allNullBool(n);
  const src = v.valid;
  const values = new Uint8Array(n);
  let valid: Uint8Array | null = src ? src.slice(0, n) : null;
  const get = v.type === 'str' ? (i: number) => v.values.get(i) : (i: number) => v.values[i]!;
  for (let i = 0; i < n; i++) {
    if (src && !src[i]) continue;
    if (set.has(get(i))) values[i] = 1;
    else if (listHasNull) {
      valid ??= new Uint8Array(n).fill(1);
      valid[i] = 0;
    }
  }
  return { s: false, type: 'bool', values, valid };
}

export function likeMatch(v: Val, regex: RegExp, negated: boolean, n: number): BoolVal {
  if (v.s) return { s: true, type: 'bool', value: v.value === null ? null : regex.test(String(v.value)) !== negated };
  if (v.type !== 'str') return allNullBool(n);
  const values = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (v.valid && !v.valid[i]) continue;
    values[i] = regex.test(v.values.get(i)) !== negated ? 1 : 0;
  }
  return { s: false, type: 'bool', values, valid: v.valid };
}

/** A LIKE pattern as an anchored regular expression: `%` any run, `_` one character, `escape` quotes the next. */
export function likeToRegExp(pattern: string, caseInsensitive: boolean, escape = '\\'): RegExp {
  let src = '';
  const chars = Array.from(pattern);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (escape !== '' && c === escape && i + 1 < chars.length) {
      src += escapeRegExp(chars[++i]!);
    } else if (c === '%') src += '.*';
    else if (c === '_') src += '.';
    else src += escapeRegExp(c);
  }
  return new RegExp(`^${src}$`, caseInsensitive ? 'isu' : 'su');
}

function escapeRegExp(c: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(c) ? `\\${c}` : c;
}
