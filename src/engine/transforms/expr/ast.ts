import type { SqlType } from './sql-types.js';

/**
 * The expression AST. Every node carries the 0-based source span [pos, end) so type errors found later,
 * when the expression meets a batch's schema, still point at the right place. A new construct is a new
 * `kind`; nothing switches on kinds without a default error.
 */
export type ArithmeticOp = '+' | '-' | '*' | '/' | '%';
export type ComparisonOp = '=' | '!=' | '<' | '<=' | '>' | '>=';
export type LogicalOp = 'and' | 'or';

interface Span {
  pos: number;
  end: number;
}

export interface ColumnRef extends Span {
  kind: 'column';
  name: string;
  /** Written in double quotes or backticks: a hint for "column not found" messages about string literals. */
  quoted: boolean;
}

export type LiteralValue =
  | { type: 'number'; value: number; /** exact digits, for int64 comparisons */ text: string }
  | { type: 'string'; value: string }
  | { type: 'bool'; value: boolean }
  | { type: 'null' };

export interface Literal extends Span {
  kind: 'literal';
  literal: LiteralValue;
}

export interface Unary extends Span {
  kind: 'unary';
  op: 'not' | '-' | '+';
  operand: Expr;
}

export interface Binary extends Span {
  kind: 'binary';
  op: ArithmeticOp | ComparisonOp | LogicalOp;
  /** Position of the operator itself. */
  opPos: number;
  left: Expr;
  right: Expr;
}

export interface IsNull extends Span {
  kind: 'is_null';
  negated: boolean;
  operand: Expr;
}

export interface InList extends Span {
  kind: 'in';
  negated: boolean;
  operand: Expr;
  list: Expr[];
}

export interface Between extends Span {
  kind: 'between';
  negated: boolean;
  operand: Expr;
  low: Expr;
  high: Expr;
}

export interface Like extends Span {
  kind: 'like';
  negated: boolean;
  caseInsensitive: boolean;
  operand: Expr;
  pattern: Expr;
  escape?: Expr;
}

/** A function call; `name` is lower-cased. `extract(field from ts)` is a call whose first argument is the field as a string literal. */
export interface Call extends Span {
  kind: 'call';
  name: string;
  args: Expr[];
}

export interface Case extends Span {
  kind: 'case';
  whens: { when: Expr; then: Expr }[];
  otherwise?: Expr;
}

export type CastTarget = 'int' | 'bigint' | 'double' | 'text' | 'bool' | 'date' | 'timestamp';

export interface Cast extends Span {
  kind: 'cast';
  operand: Expr;
  target: CastTarget;
  /**
   * The SQL type the cast names, where `target` (the evaluator's representation) does not tell them
   * apart: smallint vs int, real vs double, timestamp vs timestamptz.
   */
  sqlType: SqlType;
}

export type Expr = ColumnRef | Literal | Unary | Binary | IsNull | InList | Between | Like | Call | Case | Cast;

/** Calls `fn` on every node of `expr`, parents before children, operands in source order; `false` skips a node's children. */
export function walk(expr: Expr, fn: (e: Expr) => void | false): void {
  if (fn(expr) === false) return;
  const visit = (e: Expr) => walk(e, fn);
  switch (expr.kind) {
    case 'column':
    case 'literal':
      return;
    case 'unary':
    case 'is_null':
    case 'cast':
      return visit(expr.operand);
    case 'binary':
      visit(expr.left);
      return visit(expr.right);
    case 'in':
      visit(expr.operand);
      return expr.list.forEach(visit);
    case 'between':
      visit(expr.operand);
      visit(expr.low);
      return visit(expr.high);
    case 'like':
      visit(expr.operand);
      visit(expr.pattern);
      if (expr.escape) visit(expr.escape);
      return;
    case 'call':
      return expr.args.forEach(visit);
    case 'case':
      expr.whens.forEach((w) => {
        visit(w.when);
        visit(w.then);
      });
      if (expr.otherwise) visit(expr.otherwise);
      return;
  }
}

/** The column names an expression reads, in first-use order. */
export function columnsOf(expr: Expr, into: string[] = []): string[] {
  walk(expr, (e) => {
    if (e.kind === 'column' && !into.includes(e.name)) into.push(e.name);
  });
  return into;
}
