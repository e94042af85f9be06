import { Schema, type RecordBatch } from 'apache-arrow';
import { SynqxError } from '../../../core/errors.js';
import { FIELD_META_PG_TYPE } from '../../../core/data-ports.js';
import { columnsOf, walk, type Expr } from './ast.js';
import { bindExpression, frameFor, type Bound } from './compile.js';
import { expressionError } from './expr-error.js';
import { parseExpression } from './parser.js';
import type { Dialect } from './tokenizer.js';
import { TYPE_NAMES, type Val } from './values.js';

/**
 * A parsed expression. Parsing happens once, when a transform is built (so syntax errors surface at
 * validation time); binding to a schema happens on the first batch of each distinct schema and is
 * cached, so per batch only the column-at-a-time evaluation runs.
 */
export class Expression {
  private readonly bound = new Map<string, Bound>();

  private constructor(
    readonly source: string,
    readonly ast: Expr,
  ) {}

  /** Throws VALIDATION_FAILED with the position and what was expected. */
  static parse(source: string, dialect: Dialect = 'sql'): Expression {
    const ast = parseExpression(source, dialect);
    checkConstantParts(ast);
    return new Expression(source, ast);
  }

  get columns(): string[] {
    return columnsOf(this.ast);
  }

  /** Type-checks against a schema; throws VALIDATION_FAILED (expression_type) with the position. */
  bind(schema: Schema): Bound {
    const key = schemaKey(schema);
    let b = this.bound.get(key);
    if (!b) {
      b = bindExpression(this.ast, schema);
      // A handful of schemas per run at most; the cap only guards against a pathological source.
      if (this.bound.size > 16) this.bound.clear();
      this.bound.set(key, b);
    }
    return b;
  }

  /** `ctx.now` (the run's start) is what now() returns; only expressions that call now() need it. */
  evaluate(batch: RecordBatch, ctx?: { readonly now: Date }): Val {
    return this.bind(batch.schema).eval(frameFor(batch, batch.schema, ctx?.now));
  }

  /** Checks that the expression is a condition over this schema (boolean or NULL). */
  bindPredicate(schema: Schema): Bound {
    const b = this.bind(schema);
    if (b.type !== 'bool' && b.type !== 'null') {
      throw expressionError('expression_type', this.ast.pos, `a condition must be boolean, but this expression is ${TYPE_NAMES[b.type]}`, ['boolean']);
    }
    return b;
  }

  /** One byte per row: 1 where the condition is true; false and NULL both give 0, as in SQL WHERE. */
  predicateMask(batch: RecordBatch, ctx?: { readonly now: Date }): Uint8Array {
    const n = batch.numRows;
    const v = this.bindPredicate(batch.schema).eval(frameFor(batch, batch.schema, ctx?.now));
    if (v.s) return new Uint8Array(n).fill(v.value === true ? 1 : 0);
    if (v.type !== 'bool') return new Uint8Array(n);
    if (!v.valid) return v.values.length === n ? v.values : v.values.slice(0, n);
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = v.values[i]! & v.valid[i]!;
    return out;
  }
}

function schemaKey(schema: Schema): string {
  return schema.fields.map((f) => `${f.name}\u0000${String(f.type)}\u0000${f.metadata.get(FIELD_META_PG_TYPE) ?? ''}`).join('\u0001');
}

const NO_COLUMNS = new Schema([]);

/**
 * Column types are known only when the first batch arrives, but the parts of an expression that read
 * no column (`1 + 'a'`, `cast('abc' as int)`, a bad regexp_replace pattern) can be type-checked now, so
 * they are a 422 when the pipeline is saved rather than a failed run. Other failures of a constant
 * (say 1 / 0) are left to the run, which reports them the same way.
 */
function checkConstantParts(ast: Expr): void {
  walk(ast, (e) => {
    if (e.kind === 'literal' || e.kind === 'column' || columnsOf(e).length > 0) return;
    try {
      bindExpression(e, NO_COLUMNS);
    } catch (err) {
      if (err instanceof SynqxError && err.code === 'VALIDATION_FAILED') throw err;
    }
    // Binding checked every part below too: only the largest constant parts are bound.
    return false;
  });
}
