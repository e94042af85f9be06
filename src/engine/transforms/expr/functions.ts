import type { Call, Case, Expr } from './ast.js';
import { cellGetter } from './cells.js';
import { cellsOf, settleRows, subFrame } from './lazy.js';
import { bindDateCall } from './date-functions.js';
import { bindMathCall } from './math-functions.js';
import { bindStringCall } from './string-functions.js';
import type { Bound, EvalFrame } from './compile.js';
import { expressionError } from './expr-error.js';
import * as k from './kernels.js';
import { isIntegerType } from './sql-types.js';
import { isNumeric, TYPE_NAMES, type ValueType } from './values.js';

/**
 * The common type of several branches (case, coalesce): NULL fits anything, int64 and number widen to
 * number; anything else must match exactly.
 */
export function unifyTypes(bounds: Bound[], exprs: Expr[], what: string): ValueType {
  let type = 'null' as ValueType;
  bounds.forEach((b, i) => {
    if (b.type === 'null' || b.type === type) return;
    if (type === 'null') type = b.type;
    else if (isNumeric(type) && isNumeric(b.type)) type = 'num';
    else {
      throw expressionError('expression_type', exprs[i]!.pos, `${what} must all have one type: ${TYPE_NAMES[type]} and ${TYPE_NAMES[b.type]} do not mix`, [TYPE_NAMES[type]]);
    }
  });
  // int64 columns next to integers (literals, int4 columns, …) stay exact: coalesce(id, 0) must not round ids.
  const exactInt = (b: Bound) => b.type === 'null' || b.type === 'int64' || isIntegerType(b.sqlType) || (b.constant?.type === 'num' && b.constant.big !== undefined);
  if (type === 'num' && bounds.some((b) => b.type === 'int64') && bounds.every(exactInt)) return 'int64';
  return type;
}

/** `case when`: each condition sees only the rows no earlier one took, each result only the rows it gets. */
export function bindCase(e: Case, whens: Bound[], thens: Bound[], otherwise: Bound | undefined): Bound {
  e.whens.forEach((w, i) => {
    const t = whens[i]!.type;
    if (t !== 'bool' && t !== 'null') throw expressionError('expression_type', w.when.pos, `'when' needs a condition, got ${TYPE_NAMES[t]}`, ['boolean']);
  });
  const branches = otherwise ? [...thens, otherwise] : thens;
  const type = unifyTypes(branches, [...e.whens.map((w) => w.then), ...(e.otherwise ? [e.otherwise] : [])], "case's results");
  const steps = whens.map((when, j) => (frame: EvalFrame) => {
    const cond = cellGetter(k.asBool(when.eval(frame), frame.n));
    const at = new Int32Array(frame.n).fill(-1);
    const hits: number[] = [];
    for (let i = 0; i < frame.n; i++) if (cond(i) === true) at[i] = hits.push(i) - 1;
    const then = hits.length ? cellsOf(thens[j]!, subFrame(frame, hits.length === frame.n ? null : Uint32Array.from(hits))) : () => null;
    return (i: number) => (at[i]! < 0 ? undefined : then(at[i]!));
  });
  if (otherwise) steps.push((frame) => cellsOf(otherwise, frame));
  return { type, eval: (f) => settleRows(f, type, steps) };
}

export function bindCall(e: Call, args: Bound[]): Bound {
  switch (e.name) {
    case 'coalesce': {
      const type = unifyTypes(args, e.args, "coalesce's arguments");
      return {
        type,
        // Lazy like Postgres: an argument is evaluated only for the rows still NULL after the ones before it.
        eval: (f) =>
          settleRows(
            f,
            type,
            args.map((a) => (frame: EvalFrame) => {
              const get = cellsOf(a, frame);
              return (i: number) => get(i) ?? undefined;
            }),
          ),
      };
    }
  }
  const b = bindStringCall(e, args) ?? bindMathCall(e, args) ?? bindDateCall(e, args);
  if (b) return b;
  throw expressionError('expression_syntax', e.pos, `unknown function ${e.name}()`);
}
