import type { ArithmeticOp, ComparisonOp, Expr, LiteralValue } from './ast.js';
import { expressionError } from './expr-error.js';
import { arityText, FUNCTION_ARITY } from './function-signatures.js';
import { CAST_TYPES, TYPED_LITERALS } from './type-names.js';
import { tokenize, type Dialect, type Token } from './tokenizer.js';

/**
 * A Pratt parser for SynqX expressions: SQL-like (`a = 1 and b is not null`) and the original pandas
 * `filter_query` spellings (`age > 28 and country == 'DE'`, `&`, `|`, `~`, `x in ['a', 'b']`).
 * Precedence, loosest first: or, and, not, comparison/is/in/between/like (not chainable), + -, * / %,
 * unary minus. `&`/`|` bind like `and`/`or`, as in pandas `query()`.
 */
// `||` sits between comparison and `+`, as in Postgres: `'n' || 1 + 2` is `'n' || 3`.
const BP = { or: 10, and: 20, not: 30, compare: 40, concat: 45, additive: 50, multiplicative: 60, unary: 70 } as const;

const COMPARISONS: ReadonlySet<string> = new Set(['=', '!=', '<', '<=', '>', '>=']);
const PREDICATE_WORDS: ReadonlySet<string> = new Set(['in', 'between', 'like', 'ilike']);
const NOT_YET: ReadonlySet<string> = new Set(['when', 'then', 'else', 'end', 'as', 'escape']);
const START_OF_VALUE = ['a column', 'a literal', '(', 'not', '-'];

export function parseExpression(src: string, dialect: Dialect = 'sql'): Expr {
  const parser = new Parser(tokenize(src, dialect), dialect);
  const expr = parser.expression(0);
  const next = parser.peek();
  if (next.kind !== 'eof') {
    throw expressionError('expression_syntax', next.pos, `expected an operator or the end of the expression, found ${describe(next)}`, [
      'an operator',
      'end of expression',
    ]);
  }
  return expr;
}

class Parser {
  private at = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly dialect: Dialect,
  ) {}

  peek(offset = 0): Token {
    return this.tokens[Math.min(this.at + offset, this.tokens.length - 1)]!;
  }

  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.at++;
    return t;
  }

  private isKeyword(t: Token, word: string): boolean {
    return t.kind === 'keyword' && t.value === word;
  }

  private expect(value: string, what = `'${value}'`): Token {
    const t = this.peek();
    if ((t.kind === 'op' || t.kind === 'keyword') && t.value === value) return this.next();
    throw expressionError('expression_syntax', t.pos, `expected ${what}, found ${describe(t)}`, [what]);
  }

  expression(minBp: number): Expr {
    let left = this.prefix();
    let compared = false;
    let chain: (Expr & { kind: 'binary' }) | undefined;
    for (;;) {
      const t = this.peek();
      const bp = this.infixBp(t);
      if (bp === undefined || bp <= minBp) break;
      if (bp === BP.compare) {
        if (chain && this.dialect === 'pandas' && COMPARISONS.has(t.value)) {
          // pandas chains comparisons: `18 < age < 65` is `18 < age and age < 65`.
          const next = this.predicate(chain.right) as Expr & { kind: 'binary' };
          left = { kind: 'binary', op: 'and', opPos: t.pos, left, right: next, pos: left.pos, end: next.end };
          chain = next;
          continue;
        }
        if (compared) {
          throw expressionError('expression_syntax', t.pos, `${describe(t)} cannot follow a comparison; combine comparisons with 'and'`, ['and', 'or']);
        }
        compared = true;
        left = this.predicate(left);
        chain = left.kind === 'binary' && COMPARISONS.has(left.op) ? left : undefined;
        continue;
      }
      this.next();
      const right = this.expression(bp);
      if (t.value === '||') {
        // SQL concatenation: a call the user cannot spell, so it gets `||`'s NULL rule, not concat()'s.
        left = { kind: 'call', name: '||', args: [left, right], pos: left.pos, end: right.end };
        continue;
      }
      const op = t.value as ArithmeticOp | 'and' | 'or';
      left = { kind: 'binary', op, opPos: t.pos, left, right, pos: left.pos, end: right.end };
    }
    return left;
  }

  private infixBp(t: Token): number | undefined {
    if (t.kind === 'keyword') {
      if (t.value === 'or') return BP.or;
      if (t.value === 'and') return BP.and;
      if (t.value === 'is' || PREDICATE_WORDS.has(t.value)) return BP.compare;
      if (t.value === 'not' && PREDICATE_WORDS.has(this.peek(1).value) && this.peek(1).kind === 'keyword') return BP.compare;
      return undefined;
    }
    if (t.kind !== 'op') return undefined;
    if (COMPARISONS.has(t.value)) return BP.compare;
    if (t.value === '||') return BP.concat;
    if (t.value === '+' || t.value === '-') return BP.additive;
    if (t.value === '*' || t.value === '/' || t.value === '%') return BP.multiplicative;
    return undefined;
  }

  /** Everything at comparison level: `a < b`, `a is [not] null`, `a [not] in (…)`, `between`, `like`. */
  private predicate(left: Expr): Expr {
    const t = this.next();
    if (t.kind === 'op') {
      if ((t.value === '=' || t.value === '!=') && this.peek().value === '[' && this.peek().kind === 'op') {
        // pandas: `country == ['DE', 'FR']` means membership.
        const { list, end } = this.list();
        return { kind: 'in', negated: t.value === '!=', operand: left, list, pos: left.pos, end };
      }
      const right = this.expression(BP.compare);
      return { kind: 'binary', op: t.value as ComparisonOp, opPos: t.pos, left, right, pos: left.pos, end: right.end };
    }
    if (t.value === 'is') {
      const negated = this.isKeyword(this.peek(), 'not');
      if (negated) this.next();
      const n = this.expect('null', "'null'");
      return { kind: 'is_null', negated, operand: left, pos: left.pos, end: n.end };
    }
    let negated = false;
    let word = t;
    if (t.value === 'not') {
      negated = true;
      word = this.next();
    }
    if (word.value === 'in') {
      const { list, end } = this.list();
      return { kind: 'in', negated, operand: left, list, pos: left.pos, end };
    }
    if (word.value === 'between') {
      const low = this.expression(BP.compare);
      this.expect('and', "'and' between the bounds");
      const high = this.expression(BP.compare);
      return { kind: 'between', negated, operand: left, low, high, pos: left.pos, end: high.end };
    }
    // like / ilike
    const pattern = this.expression(BP.compare);
    let escape: Expr | undefined;
    if (this.isKeyword(this.peek(), 'escape')) {
      this.next();
      escape = this.expression(BP.compare);
    }
    const end = (escape ?? pattern).end;
    return { kind: 'like', negated, caseInsensitive: word.value === 'ilike', operand: left, pattern, escape, pos: left.pos, end };
  }

  /** `(a, b, …)` or pandas' `[a, b, …]`. */
  private list(): { list: Expr[]; end: number } {
    const open = this.peek();
    if (!(open.kind === 'op' && (open.value === '(' || open.value === '['))) {
      throw expressionError('expression_syntax', open.pos, `expected a list in parentheses, found ${describe(open)}`, ['(']);
    }
    this.next();
    const close = open.value === '(' ? ')' : ']';
    const list: Expr[] = [];
    if (this.peek().value === close && this.peek().kind === 'op') {
      throw expressionError('expression_syntax', this.peek().pos, 'the list is empty', START_OF_VALUE);
    }
    for (;;) {
      list.push(this.expression(0));
      const t = this.peek();
      if (t.kind === 'op' && t.value === ',') {
        this.next();
        continue;
      }
      const end = this.expect(close, `',' or '${close}'`).end;
      return { list, end };
    }
  }

  private call(name: Token): Expr {
    const fn = name.text.toLowerCase();
    const arity = FUNCTION_ARITY[fn];
    if (!arity) {
      throw expressionError('expression_syntax', name.pos, `unknown function ${name.text}(); known functions: ${Object.keys(FUNCTION_ARITY).sort().join(', ')}`, ['a known function']);
    }
    this.next(); // (
    const args: Expr[] = [];
    if (fn === 'extract') {
      const field = this.next();
      if (field.kind !== 'ident' && field.kind !== 'string') {
        throw expressionError('expression_syntax', field.pos, `expected a field name such as year, found ${describe(field)}`, ['a field name']);
      }
      args.push({ kind: 'literal', literal: { type: 'string', value: field.value.toLowerCase() }, pos: field.pos, end: field.end });
      const from = this.peek();
      if (!(from.kind === 'ident' && from.value.toLowerCase() === 'from')) {
        throw expressionError('expression_syntax', from.pos, `expected 'from', found ${describe(from)}`, ['from']);
      }
      this.next();
      args.push(this.expression(0));
    } else if (!(this.peek().kind === 'op' && this.peek().value === ')')) {
      for (;;) {
        args.push(this.expression(0));
        if (!(this.peek().kind === 'op' && this.peek().value === ',')) break;
        this.next();
      }
    }
    const close = this.expect(')', "',' or ')'");
    if (args.length < arity[0] || args.length > arity[1]) {
      throw expressionError('expression_syntax', name.pos, `${fn}() expects ${arityText(arity)}, got ${args.length}`, [arityText(arity)]);
    }
    return { kind: 'call', name: fn, args, pos: name.pos, end: close.end };
  }

  /** `case when c then v … [else v] end`, or the simple form `case x when v then … end`. */
  private caseWhen(start: Token): Expr {
    const subject = this.isKeyword(this.peek(), 'when') ? undefined : this.expression(0);
    const whens: { when: Expr; then: Expr }[] = [];
    while (this.isKeyword(this.peek(), 'when')) {
      this.next();
      let when = this.expression(0);
      if (subject) when = { kind: 'binary', op: '=', opPos: when.pos, left: subject, right: when, pos: when.pos, end: when.end };
      this.expect('then', "'then'");
      whens.push({ when, then: this.expression(0) });
    }
    if (whens.length === 0) throw expressionError('expression_syntax', this.peek().pos, `expected 'when', found ${describe(this.peek())}`, ['when']);
    let otherwise: Expr | undefined;
    if (this.isKeyword(this.peek(), 'else')) {
      this.next();
      otherwise = this.expression(0);
    }
    const end = this.expect('end', "'when', 'else' or 'end'");
    return { kind: 'case', whens, otherwise, pos: start.pos, end: end.end };
  }

  private cast(start: Token): Expr {
    this.expect('(', "'('");
    const operand = this.expression(0);
    this.expect('as', "'as'");
    const typeTok = this.next();
    let name = typeTok.kind === 'ident' || typeTok.kind === 'keyword' ? typeTok.value.toLowerCase() : '';
    if (name === 'double' && this.peek().kind === 'ident' && this.peek().value.toLowerCase() === 'precision') this.next();
    if (name === 'timestamp' && this.peek().kind === 'ident' && this.peek().value.toLowerCase() === 'with') {
      // `timestamp with time zone`: instants are UTC microseconds either way.
      for (const w of ['with', 'time', 'zone']) {
        if (this.peek().value.toLowerCase() !== w) break;
        this.next();
      }
      name = 'timestamptz';
    }
    const known = CAST_TYPES[name];
    if (!known) {
      throw expressionError('expression_syntax', typeTok.pos, `unknown type ${typeTok.text || describe(typeTok)} in cast`, ['int', 'bigint', 'double', 'numeric', 'text', 'bool', 'date', 'timestamp']);
    }
    let [target, sqlType] = known;
    if (this.peek().kind === 'op' && this.peek().value === '(') {
      // numeric(12,2), varchar(10): the modifiers do not change the evaluator type; float(p) is real up to 24 bits, as in Postgres.
      this.next();
      const precision = this.peek();
      if (name === 'float' && precision.kind === 'number' && Number(precision.value) <= 24) sqlType = 'float4';
      while (!(this.peek().kind === 'op' && this.peek().value === ')') && this.peek().kind !== 'eof') this.next();
      this.expect(')', "')'");
    }
    const close = this.expect(')', "')'");
    return { kind: 'cast', operand, target, sqlType, pos: start.pos, end: close.end };
  }

  private prefix(): Expr {
    const t = this.next();
    switch (t.kind) {
      case 'number': {
        const value = Number(t.value);
        return { kind: 'literal', literal: { type: 'number', value, text: t.value }, pos: t.pos, end: t.end };
      }
      case 'string':
        return { kind: 'literal', literal: { type: 'string', value: t.value }, pos: t.pos, end: t.end };
      case 'quoted_ident':
        return { kind: 'column', name: t.value, quoted: true, pos: t.pos, end: t.end };
      case 'ident':
        if (this.peek().kind === 'op' && this.peek().value === '(') return this.call(t);
        if (this.peek().kind === 'string' && TYPED_LITERALS.has(t.value.toLowerCase())) {
          // SQL typed literals: `date '2024-01-31'` is cast('2024-01-31' as date), checked the same way.
          const text = this.next();
          const operand: Expr = { kind: 'literal', literal: { type: 'string', value: text.value }, pos: text.pos, end: text.end };
          const [target, sqlType] = CAST_TYPES[t.value.toLowerCase()]!;
          return { kind: 'cast', operand, target, sqlType, pos: t.pos, end: text.end };
        }
        return { kind: 'column', name: t.value, quoted: false, pos: t.pos, end: t.end };
      case 'keyword': {
        const literal = keywordLiteral(t.value);
        if (literal) return { kind: 'literal', literal, pos: t.pos, end: t.end };
        if (t.value === 'not') {
          const operand = this.expression(BP.not);
          return { kind: 'unary', op: 'not', operand, pos: t.pos, end: operand.end };
        }
        if (t.value === 'case') return this.caseWhen(t);
        if (t.value === 'cast') return this.cast(t);
        if (NOT_YET.has(t.value)) {
          throw expressionError('expression_syntax', t.pos, `'${t.text}' is a reserved word; quote it ("${t.text}") to use it as a column name`);
        }
        break;
      }
      case 'op':
        if (t.value === '(') {
          const inner = this.expression(0);
          const close = this.expect(')', "')'");
          return { ...inner, pos: t.pos, end: close.end };
        }
        if (t.value === '-' || t.value === '+') {
          const operand = this.expression(BP.unary);
          return { kind: 'unary', op: t.value, operand, pos: t.pos, end: operand.end };
        }
        break;
      case 'eof':
        throw expressionError('expression_syntax', t.pos, 'unexpected end of expression', START_OF_VALUE);
    }
    throw expressionError('expression_syntax', t.pos, `expected a value, found ${describe(t)}`, START_OF_VALUE);
  }
}

function keywordLiteral(word: string): LiteralValue | undefined {
  if (word === 'true') return { type: 'bool', value: true };
  if (word === 'false') return { type: 'bool', value: false };
  if (word === 'null') return { type: 'null' };
  return undefined;
}

function describe(t: Token): string {
  if (t.kind === 'eof') return 'the end of the expression';
  if (t.kind === 'keyword') return `'${t.text}'`;
  if (t.kind === 'string') return `string ${t.text}`;
  if (t.kind === 'number') return `number ${t.text}`;
  if (t.kind === 'ident' || t.kind === 'quoted_ident') return `column ${t.text}`;
  return `'${t.text}'`;
}
