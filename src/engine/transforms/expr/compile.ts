import type { RecordBatch, Schema } from 'apache-arrow';
import { SynqxError } from '../../../core/errors.js';
import type { Expr } from './ast.js';
import { bindCast } from './casts.js';
import { expressionError } from './expr-error.js';
import { bindCall, bindCase } from './functions.js';
import { checkIntegerRange } from './integer-range.js';
import * as k from './kernels.js';
import { arithmeticSqlType, callSqlType, commonSqlType, isIntegerType, literalSqlType, sqlTypeOf, sqlTypeOfField, type SqlType } from './sql-types.js';
import {
  isNumeric,
  NULL_SCALAR,
  parseTimestampLiteral,
  readColumn,
  readValidity,
  TYPE_NAMES,
  valueTypeOf,
  type Scalar,
  type Val,
  type ValueType,
} from './values.js';

/** Per-batch evaluation state: columns are read from Arrow at most once per batch. */
export interface EvalFrame {
  batch: RecordBatch;
  n: number;
  column(index: number): Val;
  /** A column's validity bytes (null: no NULLs), for `is null` on types expressions cannot otherwise read. */
  validity(index: number): Uint8Array | null;
  /** The batch row of each frame row, when the frame is a subset (case branches); absent: the same rows. */
  rows?: Uint32Array;
  /** The run's start time in epoch microseconds, for now(). */
  now?: number;
}

/** An expression checked against one schema: its result type and a column-at-a-time evaluator. */
export interface Bound {
  type: ValueType;
  /** The SQL type of the result where it differs from `type`'s default (sql-types.ts): int4, date, … */
  sqlType?: SqlType;
  /** Set when the value does not depend on the batch (literals and what folds from them). */
  constant?: Scalar;
  /** Set when the expression is nothing but a reference to this input column. */
  column?: number;
  eval(frame: EvalFrame): Val;
}

export function bindExpression(expr: Expr, schema: Schema): Bound {
  return new Binder(schema).bind(expr);
}

export function frameFor(batch: RecordBatch, schema: Schema, now?: Date): EvalFrame {
  const cache = new Map<number, Val>();
  const n = batch.numRows;
  return {
    batch,
    n,
    now: now === undefined ? undefined : now.getTime() * 1000,
    validity: (index) => readValidity(batch.data.children[index]!),
    column(index) {
      let v = cache.get(index);
      if (!v) {
        const field = schema.fields[index]!;
        v = readColumn(field, batch.data.children[index]!, valueTypeOf(field)!);
        cache.set(index, v);
      }
      return v;
    },
  };
}

function nowOf(f: EvalFrame, pos: number): number {
  if (f.now === undefined) throw new SynqxError('INTERNAL', `now() needs the run's start time, but the caller gave none (at position ${pos + 1})`);
  return f.now;
}

const constant = (value: Scalar, sqlType?: SqlType): Bound => ({ type: value.type, sqlType, constant: value, eval: () => value });

/** An integer result is checked against its type's range, as Postgres checks at each operator. */
function rangeChecked(b: Bound, pos: number): Bound {
  const t = b.sqlType;
  if (!isIntegerType(t)) return b;
  return { ...b, eval: (f) => checkIntegerRange(b.eval(f), t, f, pos) };
}

class Binder {
  constructor(private readonly schema: Schema) {}

  bind(e: Expr): Bound {
    switch (e.kind) {
      case 'literal': {
        const l = e.literal;
        const sqlType = literalSqlType(l);
        if (l.type === 'null') return constant(NULL_SCALAR);
        if (l.type === 'bool') return constant({ s: true, type: 'bool', value: l.value }, sqlType);
        if (l.type === 'string') return constant({ s: true, type: 'str', value: l.value }, sqlType);
        const big = /^\d+$/.test(l.text) ? BigInt(l.text) : undefined;
        return constant({ s: true, type: 'num', value: l.value, big }, sqlType);
      }
      case 'column':
        return this.column(e);
      case 'unary': {
        const operand = this.bind(e.operand);
        if (e.op === 'not') {
          this.expectType(operand, ['bool'], e.operand.pos, `'not' needs a boolean`);
          return this.fold({ type: 'bool', eval: (f) => k.not(k.asBool(operand.eval(f), f.n), f.n) }, [operand]);
        }
        this.expectNumeric(operand, e.operand.pos, `unary '${e.op}' needs a number`);
        if (e.op === '+') return operand;
        // -x keeps x's type (and -(-2147483648) is out of int4's range, as in Postgres).
        const negated: Bound = { type: 'num', sqlType: sqlTypeOf(operand), eval: (f) => k.negate(operand.eval(f), f.n) };
        return this.fold(rangeChecked(negated, e.pos), [operand]);
      }
      case 'binary': {
        const left = this.bind(e.left);
        const right = this.bind(e.right);
        const op = e.op;
        if (op === 'and' || op === 'or') {
          this.expectType(left, ['bool'], e.left.pos, `'${op}' needs boolean operands`);
          this.expectType(right, ['bool'], e.right.pos, `'${op}' needs boolean operands`);
          return this.fold({ type: 'bool', eval: (f) => k.logical(op, k.asBool(left.eval(f), f.n), k.asBool(right.eval(f), f.n), f.n) }, [left, right]);
        }
        if (op === '+' || op === '-' || op === '*' || op === '/' || op === '%') {
          this.expectNumeric(left, e.left.pos, `operator '${op}' needs numbers`);
          this.expectNumeric(right, e.right.pos, `operator '${op}' needs numbers`);
          const opPos = e.opPos;
          const sqlType = arithmeticSqlType(op, sqlTypeOf(left), sqlTypeOf(right));
          const result: Bound = { type: 'num', sqlType, eval: (f) => k.arithmetic(op, left.eval(f), right.eval(f), f.n, opPos) };
          return this.fold(rangeChecked(result, opPos), [left, right]);
        }
        const [l, r] = this.comparable(left, right, e.left, e.right);
        return this.fold({ type: 'bool', eval: (f) => k.compare(op, l.eval(f), r.eval(f), f.n) }, [l, r]);
      }
      case 'is_null': {
        const operand = e.operand.kind === 'column' ? this.column(e.operand, true) : this.bind(e.operand);
        return this.fold({ type: 'bool', eval: (f) => k.isNull(operand.eval(f), e.negated, f.n) }, [operand]);
      }
      case 'in':
        return this.inList(e);
      case 'between': {
        const operand = this.bind(e.operand);
        const [a1, lo] = this.comparable(operand, this.bind(e.low), e.operand, e.low);
        const [a2, hi] = this.comparable(operand, this.bind(e.high), e.operand, e.high);
        const inside: Bound = {
          type: 'bool',
          eval: (f) => {
            const x = a1.eval(f);
            return k.logical('and', k.compare('>=', x, lo.eval(f), f.n), k.compare('<=', a2 === a1 ? x : a2.eval(f), hi.eval(f), f.n), f.n);
          },
        };
        const result = e.negated ? { type: 'bool' as const, eval: (f: EvalFrame) => k.not(k.asBool(inside.eval(f), f.n), f.n) } : inside;
        return this.fold(result, [operand, lo, hi]);
      }
      case 'like': {
        const operand = this.bind(e.operand);
        this.expectType(operand, ['str'], e.operand.pos, `'${e.caseInsensitive ? 'ilike' : 'like'}' needs text`);
        const pattern = this.bind(e.pattern);
        if (pattern.constant?.type === 'null') return constant({ s: true, type: 'bool', value: null });
        if (pattern.constant?.type !== 'str') {
          throw expressionError('expression_type', e.pattern.pos, 'the like pattern must be a string literal', ['a string literal']);
        }
        let escape = '\\';
        if (e.escape) {
          const esc = this.bind(e.escape).constant;
          if (esc?.type !== 'str' || esc.value === null || Array.from(esc.value).length > 1) {
            throw expressionError('expression_type', e.escape.pos, 'escape must be a string literal of at most one character');
          }
          escape = esc.value;
        }
        const regex = k.likeToRegExp(pattern.constant.value!, e.caseInsensitive, escape);
        return this.fold({ type: 'bool', eval: (f) => k.likeMatch(operand.eval(f), regex, e.negated, f.n) }, [operand]);
      }
      case 'call': {
        if (e.name === 'now') {
          // Never folded: the value comes from the frame (the run's start), not from the expression.
          return { type: 'time', eval: (f) => ({ s: true, type: 'time', value: nowOf(f, e.pos) }) };
        }
        let args = e.args.map((a) => this.bind(a));
        if (e.name === 'coalesce') args = this.alignTimes(args, e.args);
        return this.fold({ ...bindCall(e, args), sqlType: callSqlType(e, args) }, args);
      }
      case 'case': {
        const whens = e.whens.map((w) => this.bind(w.when));
        // The results (thens, then the else), bound and aligned together: one branch's date types a string literal in another.
        const results = [...e.whens.map((w) => w.then), ...(e.otherwise ? [e.otherwise] : [])];
        const branches = this.alignTimes(results.map((r) => this.bind(r)), results);
        const thens = branches.slice(0, e.whens.length);
        const otherwise = e.otherwise ? branches.at(-1) : undefined;
        return this.fold({ ...bindCase(e, whens, thens, otherwise), sqlType: commonSqlType(branches) }, [...whens, ...branches]);
      }
      case 'cast': {
        const operand = this.bind(e.operand);
        return this.fold(bindCast(e, operand), [operand]);
      }
    }
  }

  private column(e: Expr & { kind: 'column' }, anyType = false): Bound {
    const index = this.schema.fields.findIndex((f) => f.name === e.name);
    if (index < 0) {
      const names = this.schema.fields.map((f) => f.name).join(', ');
      const hint = e.quoted ? ` — string literals take single quotes ('${e.name}')` : '';
      throw expressionError('expression_type', e.pos, `column "${e.name}" not found; the input has: ${names}${hint}`);
    }
    const field = this.schema.fields[index]!;
    const type = valueTypeOf(field);
    if (type === undefined) {
      if (anyType) {
        // `is null` needs only the validity bitmap, which every Arrow type has.
        return { type: 'null', eval: (f) => ({ s: false, type: 'bool', values: new Uint8Array(f.n), valid: f.validity(index) ?? new Uint8Array(f.n).fill(1) }) };
      }
      throw expressionError('expression_type', e.pos, `column "${e.name}" has type ${String(field.type)}, which expressions cannot use yet (only 'is null')`);
    }
    return { type, sqlType: sqlTypeOfField(field), column: index, eval: (f) => f.column(index) };
  }

  /** Both sides of a comparison, made comparable (a text literal next to a timestamp becomes one). */
  private comparable(a: Bound, b: Bound, ea: Expr, eb: Expr): [Bound, Bound] {
    if (a.type === 'null' || b.type === 'null') return [a, b];
    if (a.type === 'time' && b.type === 'str') return [a, this.asTime(b, eb)];
    if (a.type === 'str' && b.type === 'time') return [this.asTime(a, ea), b];
    if (a.type === b.type || (isNumeric(a.type) && isNumeric(b.type))) return [a, b];
    throw expressionError('expression_type', eb.pos, `cannot compare ${TYPE_NAMES[a.type]} with ${TYPE_NAMES[b.type]}`, [TYPE_NAMES[a.type]]);
  }

  /** Next to a date or timestamp, a string literal is one (`coalesce(ts, '2024-01-01')`), as in comparisons. */
  private alignTimes(bounds: Bound[], exprs: readonly Expr[]): Bound[] {
    const time = bounds.find((b) => b.type === 'time');
    if (!time) return bounds;
    // The literal takes the other branch's SQL type (a date stays a date), as Postgres types an untyped literal.
    return bounds.map((b, i) => (b.type === 'str' && b.constant ? { ...this.asTime(b, exprs[i]!), sqlType: time.sqlType } : b));
  }

  private asTime(b: Bound, e: Expr): Bound {
    const c = b.constant;
    if (c?.type === 'str') {
      const micros = c.value === null ? null : parseTimestampLiteral(c.value);
      if (micros === undefined) {
        throw expressionError('expression_type', e.pos, `'${c.value}' is not a date or timestamp (expected YYYY-MM-DD[ HH:MM[:SS[.ffffff]]][+HH:MM])`);
      }
      return constant({ s: true, type: 'time', value: micros });
    }
    throw expressionError('expression_type', e.pos, 'cannot compare timestamp with text');
  }

  private inList(e: Expr & { kind: 'in' }): Bound {
    const operand = this.bind(e.operand);
    const items = e.list.map((item) => this.comparable(operand, this.bind(item), e.operand, item)[1]);
    let result: Bound;
    if (operand.type !== 'null' && items.every((i) => i.constant)) {
      // Literal lists: one set lookup per row instead of one comparison per item.
      const set = new Set<string | number | bigint | boolean>();
      let hasNull = false;
      for (const item of items) {
        const c = item.constant!;
        if (c.value === null) hasNull = true;
        else if (operand.type === 'int64') {
          const big = c.type === 'num' ? c.big : undefined;
          if (big !== undefined) set.add(big);
          else if (c.type === 'num' && Number.isInteger(c.value)) set.add(BigInt(c.value));
        } else if (operand.type === 'bool') set.add(c.value ? 1 : 0);
        else set.add(c.value as string | number);
      }
      result = { type: 'bool', eval: (f) => k.inSet(operand.eval(f), set, hasNull, f.n) };
    } else {
      result = {
        type: 'bool',
        eval: (f) => {
          const x = operand.eval(f);
          return items.map((i) => k.compare('=', x, i.eval(f), f.n)).reduce((acc, hit) => k.logical('or', acc, hit, f.n));
        },
      };
    }
    if (e.negated) {
      const positive = result;
      result = { type: 'bool', eval: (f) => k.not(k.asBool(positive.eval(f), f.n), f.n) };
    }
    return this.fold(result, [operand, ...items]);
  }

  /** Constant folding: an operation over constants is evaluated once, on a zero-row frame. */
  private fold(b: Bound, inputs: Bound[]): Bound {
    if (!inputs.every((i) => i.constant)) return b;
    const value = b.eval({ batch: undefined as never, n: 0, column: () => NULL_SCALAR, validity: () => null });
    return value.s ? constant(value, b.sqlType) : b;
  }

  private expectType(b: Bound, types: ValueType[], pos: number, message: string): void {
    if (b.type === 'null' || types.includes(b.type)) return;
    throw expressionError('expression_type', pos, `${message}, got ${TYPE_NAMES[b.type]}`, types.map((t) => TYPE_NAMES[t]));
  }

  private expectNumeric(b: Bound, pos: number, message: string): void {
    if (b.type === 'null' || isNumeric(b.type)) return;
    throw expressionError('expression_type', pos, `${message}, got ${TYPE_NAMES[b.type]}`, ['number']);
  }
}
