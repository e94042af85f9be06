import type { Call, Case, Expr } from './ast.js';
import { mapCells } from './cells.js';
import { bindDateCall } from './date-functions.js';
import { bindMathCall } from './math-functions.js';
import { bindStringCall } from './string-functions.js';
import type { Bound } from './compile.js';
import { expressionError } from './expr-error.js';
import * as k from './kernels.js';
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
  // int64 columns next to integer literals stay exact (coalesce(id, 0) must not round ids).
  const exactInt = (b: Bound) => b.type === 'null' || b.type === 'int64' || (b.constant?.type === 'num' && b.constant.big !== undefined);
  if (type === 'num' && bounds.some((b) => b.type === 'int64') && bounds.every(exactInt)) return 'int64';
  return type;
}

/** `case when`: column-at-a-time, every branch is evaluated over the whole batch, then picked per row. */
export function bindCase(e: Case, whens: Bound[], thens: Bound[], otherwise: Bound | undefined): Bound {
  e.whens.forEach((w, i) => {
    const t = whens[i]!.type;
    if (t !== 'bool' && t !== 'null') throw expressionError('expression_type', w.when.pos, `'when' needs a condition, got ${TYPE_NAMES[t]}`, ['boolean']);
  });
  const branches = otherwise ? [...thens, otherwise] : thens;
  const type = unifyTypes(branches, [...e.whens.map((w) => w.then), ...(e.otherwise ? [e.otherwise] : [])], "case's results");
  return {
    type,
    eval: (f) => {
      // Conditions go in as arguments too, so an all-constant case still folds to one scalar.
      const m = whens.length;
      const args = [...whens.map((w) => k.asBool(w.eval(f), f.n)), ...branches.map((b) => b.eval(f))];
      return mapCells(args, f.n, type, false, (cells) => {
        for (let j = 0; j < m; j++) if (cells[j] === true) return cells[m + j]!;
        return otherwise ? cells[2 * m]! : null;
      });
    },
  };
}

export function bindCall(e: Call, args: Bound[]): Bound {
  switch (e.name) {
    case 'coalesce': {
      const type = unifyTypes(args, e.args, "coalesce's arguments");
      return {
        type,
        eval: (f) =>
          mapCells(args.map((a) => a.eval(f)), f.n, type, false, (cells) => {
            for (const c of cells) if (c !== null) return c;
            return null;
          }),
      };
    }
  }
  const b = bindStringCall(e, args) ?? bindMathCall(e, args) ?? bindDateCall(e, args);
  if (b) return b;
  throw expressionError('expression_syntax', e.pos, `unknown function ${e.name}()`);
}
