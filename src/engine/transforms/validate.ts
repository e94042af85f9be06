import type { RecordBatch } from 'apache-arrow';
import { z } from 'zod';
import { SynqxError, validationProblems, type FieldProblem } from '../../core/errors.js';
import { columnCells, type ColumnCells } from './column-cells.js';
import { columnIndex } from './column-data.js';
import { parseCondition } from './filter.js';
import type { Expression } from './expr/expression.js';
import { parseTimestampLiteral } from './expr/values.js';
import { checkOnError, onErrorFields, rejectRows, rowFailure, shownValue } from './rejected-rows.js';
import { filterBatch } from './take.js';
import type { TransformContext, TransformFn } from './transform.js';

const column = z.string().min(1);
const literal = z.union([z.string(), z.number(), z.boolean()]);

const ruleSchema = z.discriminatedUnion('rule', [
  z.object({ rule: z.literal('not_null'), column }).strict(),
  z.object({ rule: z.literal('unique_in_batch'), column }).strict(),
  z.object({ rule: z.literal('min'), column, value: z.union([z.number(), z.string()]) }).strict(),
  z.object({ rule: z.literal('max'), column, value: z.union([z.number(), z.string()]) }).strict(),
  z
    .object({ rule: z.literal('regex'), column, pattern: z.string().min(1), flags: z.string().regex(/^[imsu]*$/, 'flags may only contain i, m, s, u').optional() })
    .strict(),
  z.object({ rule: z.literal('in_list'), column, values: z.array(literal).min(1) }).strict(),
  /** `column` only names the rule in messages; the condition may read any columns. */
  z.object({ rule: z.literal('expression'), condition: z.string().min(1), column: column.optional() }).strict(),
]);

export const validateConfigSchema = z
  .object({ rules: z.array(ruleSchema).min(1), ...onErrorFields })
  .strict()
  .superRefine(checkOnError);

export type ValidateConfig = z.infer<typeof validateConfigSchema>;
type Rule = z.infer<typeof ruleSchema>;

/** A rule bound to one batch: which rows fail, and why a given row failed. */
interface BoundRule {
  fails(i: number): boolean;
  reason(i: number): string;
}

interface CompiledRule {
  rule: Rule;
  regex?: RegExp;
  expr?: Expression;
  bind(batch: RecordBatch, ctx: TransformContext): BoundRule;
}

const LIST_SHOWN = 5;

function failedOn(rule: Rule, what: string): string {
  const col = rule.column === undefined ? '' : ` on column ${rule.column}`;
  return `validate rule ${rule.rule} failed${col}${what}`;
}

function cellsOf(batch: RecordBatch, rule: Rule & { column: string }): ColumnCells {
  const i = columnIndex(batch, rule.column, `validate rule ${rule.rule}`);
  return columnCells(batch.schema.fields[i]!, batch.data.children[i]!);
}

function typeError(rule: Rule, message: string): SynqxError {
  return new SynqxError('DATA_ERROR', `validate rule ${rule.rule} on column ${rule.column}: ${message}`);
}

/** The rule's literal as a value comparable with the column's cells (numbers as numbers, timestamps as µs). */
function comparable(rule: Rule & { column: string }, cells: ColumnCells, v: string | number | boolean): number | bigint | string | boolean {
  switch (cells.type) {
    case 'num':
    case 'int64':
      if (typeof v !== 'number') throw typeError(rule, `${JSON.stringify(v)} is not a number, and the column is numeric`);
      return v;
    case 'time': {
      const micros = typeof v === 'string' ? parseTimestampLiteral(v) : undefined;
      if (micros === undefined) throw typeError(rule, `${JSON.stringify(v)} is not a date or timestamp ('2024-01-31', '2024-01-31 12:00:00+02')`);
      return micros;
    }
    case 'str':
      if (typeof v !== 'string') throw typeError(rule, `${JSON.stringify(v)} is not a string, and the column is text`);
      return v;
    case 'bool':
      if (typeof v !== 'boolean' || rule.rule !== 'in_list') throw typeError(rule, `${JSON.stringify(v)} cannot be compared with a boolean column`);
      return v;
    default:
      throw typeError(rule, `cannot compare values of this column's type with ${JSON.stringify(v)}`);
  }
}

/** Cell vs literal: numbers (int64 included) numerically, everything else by JS order (text: code units). */
function compare(a: unknown, b: number | bigint | string | boolean): number {
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    const x = Number(a);
    const y = Number(b);
    if (Number.isSafeInteger(x) && Number.isSafeInteger(y)) return x - y;
    // Beyond 2^53 compare exactly when the literal is whole; a fractional literal is never equal.
    if (typeof b === 'number' && !Number.isInteger(b)) return x < y ? -1 : 1;
    const ba = BigInt(a as bigint);
    const bb = BigInt(b as number);
    return ba < bb ? -1 : ba > bb ? 1 : 0;
  }
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
}

function compileRule(rule: Rule, at: number, problems: FieldProblem[]): CompiledRule {
  const field = `config.rules.${at}`;
  switch (rule.rule) {
    case 'not_null':
      return {
        rule,
        bind(batch) {
          const cells = cellsOf(batch, rule);
          return { fails: cells.isNull, reason: () => failedOn(rule, ': value is NULL') };
        },
      };
    case 'unique_in_batch':
      return {
        rule,
        bind(batch) {
          const cells = cellsOf(batch, rule);
          // NULLs are never duplicates (as in a SQL UNIQUE constraint); the first occurrence passes.
          const first = new Map<string, number>();
          const dupOf = new Int32Array(batch.numRows).fill(-1);
          for (let i = 0; i < batch.numRows; i++) {
            if (cells.isNull(i)) continue;
            const v = cells.get(i);
            const key = v instanceof Uint8Array ? Buffer.from(v).toString('hex') : `${typeof v}:${String(v)}`;
            const seen = first.get(key);
            if (seen === undefined) first.set(key, i);
            else dupOf[i] = seen;
          }
          return {
            fails: (i) => dupOf[i]! >= 0,
            reason: (i) => failedOn(rule, `: value ${cells.shown(i)} already appears in row ${dupOf[i]! + 1} of the batch`),
          };
        },
      };
    case 'min':
    case 'max':
      return {
        rule,
        bind(batch) {
          const cells = cellsOf(batch, rule);
          const bound = comparable(rule, cells, rule.value);
          const sign = rule.rule === 'min' ? -1 : 1;
          const word = rule.rule === 'min' ? 'less' : 'greater';
          return {
            fails: (i) => !cells.isNull(i) && Math.sign(compare(cells.get(i), bound)) === sign,
            reason: (i) => failedOn(rule, `: value ${cells.shown(i)} is ${word} than ${shownValue(rule.value)}`),
          };
        },
      };
    case 'regex': {
      let regex: RegExp | undefined;
      try {
        regex = new RegExp(rule.pattern, rule.flags ?? '');
      } catch (err) {
        problems.push({ field: `${field}.pattern`, message: err instanceof Error ? err.message : String(err), error_type: 'invalid_regex' });
      }
      return {
        rule,
        regex,
        bind(batch) {
          const cells = cellsOf(batch, rule);
          if (cells.type !== 'str') throw typeError(rule, `the column is not text`);
          return {
            fails: (i) => !cells.isNull(i) && !regex!.test(cells.get(i) as string),
            reason: (i) => failedOn(rule, `: value ${cells.shown(i)} does not match /${rule.pattern}/${rule.flags ?? ''}`),
          };
        },
      };
    }
    case 'in_list':
      return {
        rule,
        bind(batch) {
          const cells = cellsOf(batch, rule);
          const wanted = rule.values.map((v) => comparable(rule, cells, v));
          const keys = new Set(wanted.map((v) => String(v)));
          // int64 cells are bigints: String(5n) = String(5), so one key set serves both.
          const listed = rule.values.slice(0, LIST_SHOWN).map(shownValue).join(', ') + (rule.values.length > LIST_SHOWN ? ', …' : '');
          return {
            fails: (i) => !cells.isNull(i) && !keys.has(String(cells.get(i))),
            reason: (i) => failedOn(rule, `: value ${cells.shown(i)} is not one of ${listed}`),
          };
        },
      };
    case 'expression': {
      let expr: Expression | undefined;
      try {
        expr = parseCondition(rule.condition, `${field}.condition`);
      } catch (err) {
        const found = validationProblems(err);
        if (!found) throw err;
        problems.push(...found);
      }
      return {
        rule,
        expr,
        bind(batch, ctx) {
          // Like a filter: only a true condition passes; false and NULL fail the row.
          if (batch.numRows === 0) expr!.bindPredicate(batch.schema);
          let mask: Uint8Array;
          try {
            mask = batch.numRows === 0 ? new Uint8Array(0) : expr!.predicateMask(batch, ctx);
          } catch (err) {
            // A value the condition cannot evaluate (a failed cast, a division by zero) is that row's
            // failure, so it can be quarantined with the reason; find the rows one by one, off the hot path.
            if (!(err instanceof SynqxError) || err.code !== 'DATA_ERROR') throw err;
            return rowByRow(batch, (row) => expr!.predicateMask(row, ctx)[0] === 1, rule);
          }
          return { fails: (i) => mask[i] === 0, reason: () => failedOn(rule, `: ${rule.condition} is not true`) };
        },
      };
    }
  }
}

/** The condition evaluated on each row alone: a row whose evaluation fails fails the rule with that error. */
function rowByRow(batch: RecordBatch, passes: (row: RecordBatch) => boolean, rule: Rule & { rule: 'expression' }): BoundRule {
  const errors = new Map<number, string>();
  const ok = new Uint8Array(batch.numRows);
  for (let i = 0; i < batch.numRows; i++) {
    try {
      ok[i] = passes(batch.slice(i, i + 1)) ? 1 : 0;
    } catch (err) {
      if (!(err instanceof SynqxError) || err.code !== 'DATA_ERROR') throw err;
      errors.set(i, err.message);
    }
  }
  return {
    fails: (i) => ok[i] === 0,
    reason: (i) => failedOn(rule, errors.has(i) ? `: ${rule.condition} cannot be evaluated: ${errors.get(i)}` : `: ${rule.condition} is not true`),
  };
}

/**
 * Checks every row against `rules`. A row failing any rule is rejected, its reason listing every rule
 * it failed ("; "-separated). NULL passes every rule but not_null (and an expression that is NULL).
 * on_error 'fail' fails the step on the first failing row; 'quarantine' returns the failing rows as
 * rejected, with their original values.
 */
export function buildValidate(config: ValidateConfig): TransformFn {
  const problems: FieldProblem[] = [];
  const rules = config.rules.map((r, i) => compileRule(r, i, problems));
  if (problems.length > 0) throw SynqxError.validation(problems, `validate: ${problems[0]!.message}`);
  const quarantine = config.on_error === 'quarantine';
  return (batch, ctx) => {
    const bound = rules.map((r) => r.bind(batch, ctx));
    const n = batch.numRows;
    const keep = new Uint8Array(n).fill(1);
    const failed: number[] = [];
    const reasons: string[] = [];
    for (let i = 0; i < n; i++) {
      let why: string | undefined;
      for (const b of bound) {
        if (!b.fails(i)) continue;
        if (!quarantine) throw rowFailure('validate', i, b.reason(i));
        why = why === undefined ? b.reason(i) : `${why}; ${b.reason(i)}`;
      }
      if (why === undefined) continue;
      keep[i] = 0;
      failed.push(i);
      reasons.push(why);
    }
    if (failed.length === 0) return batch;
    return { kept: filterBatch(batch, keep), rejected: rejectRows(batch, Int32Array.from(failed), reasons) };
  };
}
