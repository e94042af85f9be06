import { DataType, Precision, type Field } from 'apache-arrow';
import type { ArithmeticOp, Call, LiteralValue } from './ast.js';
import type { Bound } from './compile.js';
import { valueTypeOf, type ValueType } from './values.js';

/**
 * The SQL type of an expression's result, as Postgres would type it, where the expression and the
 * input schema tell it. The evaluator needs only a few representations (values.ts: a non-int64 number
 * is a float64, a date or timestamp is float microseconds); this is what a column made from the result
 * should be, so `age + 1` on an int4 column stays integer and a date stays a date. Spelled like
 * type_cast's targets. A bound without one has its evaluator type's default (defaultSqlType).
 *
 * Deviations, all because the evaluator computes non-integers in float64: numeric columns, decimal
 * literals and casts to numeric type as double precision (Postgres: numeric); `/` is true division
 * (pandas' `/`, not SQL's integer division), so it is always double precision.
 */
export type SqlType = 'bool' | 'int2' | 'int4' | 'int8' | 'float4' | 'float8' | 'date' | 'timestamp' | 'timestamptz' | 'text';

export type IntegerType = 'int2' | 'int4' | 'int8';

/** Postgres' names, as its "… out of range" errors spell them. */
export const INTEGER_NAMES: Readonly<Record<IntegerType, string>> = { int2: 'smallint', int4: 'integer', int8: 'bigint' };

export const isIntegerType = (t: SqlType | undefined): t is IntegerType => t === 'int2' || t === 'int4' || t === 'int8';
const isFloatType = (t: SqlType | undefined) => t === 'float4' || t === 'float8';
const isTemporalType = (t: SqlType | undefined) => t === 'date' || t === 'timestamp' || t === 'timestamptz';
const INT_RANK: Readonly<Record<IntegerType, number>> = { int2: 0, int4: 1, int8: 2 };

const DEFAULTS: Readonly<Record<ValueType, SqlType | undefined>> = {
  bool: 'bool',
  num: 'float8',
  int64: 'int8',
  str: 'text',
  time: 'timestamptz',
  null: undefined,
};

/** What a value of this evaluator type is when nothing more is known (an untyped NULL: nothing). */
export const defaultSqlType = (t: ValueType): SqlType | undefined => DEFAULTS[t];

/** A bound's SQL type: its own, else its evaluator type's default. */
export const sqlTypeOf = (b: Bound): SqlType | undefined => b.sqlType ?? DEFAULTS[b.type];

/** Whether a value of evaluator type `t` can be stored as `s` (an untyped NULL fits any). */
export function fitsSqlType(t: ValueType, s: SqlType): boolean {
  switch (t) {
    case 'num':
    case 'int64':
      return isIntegerType(s) || isFloatType(s);
    case 'time':
      return isTemporalType(s);
    case 'null':
      return true;
    default:
      return DEFAULTS[t] === s;
  }
}

/** A column's own type. Numeric (exact text) and decimal columns are read as float64, so double precision. */
export function sqlTypeOfField(field: Field): SqlType | undefined {
  const t = field.type;
  if (DataType.isInt(t)) {
    // Unsigned needs one bit more: uint16 fits int4, uint32 int8; uint64 fits none (read as float64).
    const bits = t.bitWidth + (t.isSigned ? 0 : 1);
    return bits <= 16 ? 'int2' : bits <= 32 ? 'int4' : bits <= 64 ? 'int8' : 'float8';
  }
  if (DataType.isFloat(t)) return t.precision === Precision.DOUBLE ? 'float8' : 'float4';
  if (DataType.isDate(t)) return 'date';
  if (DataType.isTimestamp(t)) return t.timezone ? 'timestamptz' : 'timestamp';
  const v = valueTypeOf(field);
  return v === undefined ? undefined : DEFAULTS[v];
}

/** Postgres types an integer literal int4 when it fits, else int8; other numbers are numeric (here float8). */
export function literalSqlType(l: LiteralValue): SqlType | undefined {
  switch (l.type) {
    case 'bool':
      return 'bool';
    case 'string':
      return 'text';
    case 'null':
      return undefined;
    case 'number': {
      if (!/^\d+$/.test(l.text)) return 'float8';
      const v = BigInt(l.text);
      return v <= 2147483647n ? 'int4' : v < 2n ** 63n ? 'int8' : 'float8';
    }
  }
}

/**
 * `+ - * %` of two integers is the wider integer (int2 + int2 stays int2, int2 + 1 is int4, as in
 * Postgres); real with real stays real; anything else with a float is double precision. An untyped
 * NULL operand takes the other side's type, as Postgres resolves `unknown`.
 */
export function arithmeticSqlType(op: ArithmeticOp, a: SqlType | undefined, b: SqlType | undefined): SqlType | undefined {
  if (op === '/') return 'float8';
  const x = a ?? b;
  const y = b ?? a;
  if (isIntegerType(x) && isIntegerType(y)) return INT_RANK[x] >= INT_RANK[y] ? x : y;
  if (x === 'float4' && y === 'float4') return 'float4';
  return x === undefined ? undefined : 'float8';
}

/**
 * The common type of `case` results and `coalesce` arguments (Postgres' select_common_type for the
 * types the evaluator mixes): untyped NULLs are skipped; integers widen to the widest; integers with
 * real stay real, with double precision become double precision; date with timestamp is timestamp,
 * with timestamptz timestamptz. undefined when no branch has a type.
 */
export function commonSqlType(branches: Bound[]): SqlType | undefined {
  const types = branches.filter((b) => b.type !== 'null').map(sqlTypeOf);
  if (types.length === 0 || types.includes(undefined)) return undefined;
  const all = types as SqlType[];
  if (all.every((t) => t === all[0])) return all[0];
  if (all.every(isIntegerType)) return all.reduce((w, t) => (INT_RANK[t] > INT_RANK[w] ? t : w));
  if (all.every((t) => isIntegerType(t) || isFloatType(t))) return all.includes('float8') ? 'float8' : 'float4';
  if (all.every(isTemporalType)) return all.includes('timestamptz') ? 'timestamptz' : 'timestamp';
  return undefined;
}

/** Result types of the built-in functions that differ from their evaluator type's default. */
export function callSqlType(e: Call, args: Bound[]): SqlType | undefined {
  const arg = args[0] && sqlTypeOf(args[0]);
  switch (e.name) {
    case 'coalesce':
      return commonSqlType(args);
    case 'abs':
      // abs(int2) is int2, abs(real) is real.
      return arg;
    case 'floor':
    case 'ceil':
    case 'ceiling':
    case 'round':
      // Kept integer for integers (Postgres answers double precision; the values are whole either way).
      if (e.name === 'round' && args.length > 1) return 'float8';
      return isIntegerType(arg) ? arg : 'float8';
    case 'length':
      return 'int4';
    case 'extract':
    case 'date_part':
      return 'float8';
    case 'date_trunc': {
      // date_trunc(unit, date) goes through timestamptz in Postgres; a timestamp stays a timestamp.
      const source = args[1] && sqlTypeOf(args[1]);
      return source === 'timestamp' ? 'timestamp' : 'timestamptz';
    }
  }
  return undefined;
}
