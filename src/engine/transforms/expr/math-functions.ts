import type { Call } from './ast.js';
import { mapCells } from './cells.js';
import type { Bound, EvalFrame } from './compile.js';
import { expectArg } from './function-args.js';
import type { Val } from './values.js';

/** Half away from zero, as Postgres rounds numeric; via decimal text so round(2.675, 2) is 2.68. */
export function roundTo(x: number, digits: number): number {
  if (!Number.isFinite(x)) return x;
  const d = Math.trunc(digits);
  const a = Math.abs(x);
  const shifted = String(a).includes('e') ? a * 10 ** d : Number(`${a}e${d}`);
  const r = Math.round(shifted);
  const back = String(r).includes('e') ? r / 10 ** d : Number(`${r}e${-d}`);
  return Math.sign(x) * back;
}

/** One float kernel over a whole column: a tight loop over the Float64Array, validity passed through. */
function floatKernel(v: Val, n: number, fn: (x: number) => number): Val {
  if (!v.s && v.type === 'num') {
    const out = new Float64Array(n);
    const src = v.values;
    for (let i = 0; i < n; i++) out[i] = fn(src[i]!);
    return { s: false, type: 'num', values: out, valid: v.valid };
  }
  return mapCells([v], n, 'num', true, ([x]) => fn(Number(x)));
}

export function bindMathCall(e: Call, args: Bound[]): Bound | undefined {
  const arg = (f: EvalFrame, i: number) => args[i]!.eval(f);
  const unary = (fn: (x: number) => number, bigFn: (x: bigint) => bigint): Bound => {
    expectArg(e, args, 0, 'number');
    if (args[0]!.type === 'int64') {
      // int64 stays exact: abs/floor/ceil/round of an integer are integers.
      return { type: 'int64', eval: (f) => mapCells([arg(f, 0)], f.n, 'int64', true, ([x]) => bigFn(x as bigint)) };
    }
    return { type: 'num', eval: (f) => floatKernel(arg(f, 0), f.n, fn) };
  };
  switch (e.name) {
    case 'abs':
      return unary(Math.abs, (x) => (x < 0n ? -x : x));
    case 'floor':
      return unary(Math.floor, (x) => x);
    case 'ceil':
    case 'ceiling':
      return unary(Math.ceil, (x) => x);
    case 'round':
      if (!args[1]) return unary((x) => roundTo(x, 0), (x) => x);
      expectArg(e, args, 0, 'number');
      expectArg(e, args, 1, 'number');
      return { type: 'num', eval: (f) => mapCells([arg(f, 0), arg(f, 1)], f.n, 'num', true, ([x, d]) => roundTo(Number(x), Number(d))) };
  }
  return undefined;
}
