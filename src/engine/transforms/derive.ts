import { Bool, Field, Float64, Int64, makeData, Null, TimestampMicrosecond, type Data, type DataType, type RecordBatch } from 'apache-arrow';
import { z } from 'zod';
import { SynqxError } from '../../core/errors.js';
import { setColumn, utf8Data } from './column-data.js';
import { parseConditions } from './filter.js';
import type { Expression } from './expr/expression.js';
import type { TransformFn } from './transform.js';

export const deriveConfigSchema = z
  .object({
    columns: z
      .record(z.string().min(1), z.string().min(1))
      .refine((m) => Object.keys(m).length > 0, { message: 'columns needs at least one {name: expression}' }),
  })
  .strict();

export type DeriveConfig = z.infer<typeof deriveConfigSchema>;

// Only Expression's public surface is used: the evaluator's value type is whatever `evaluate` returns.
type Val = ReturnType<Expression['evaluate']>;

function bitmap(n: number, bit: (i: number) => boolean): { bits: Uint8Array; unset: number } {
  const bits = new Uint8Array(((n + 63) & ~63) >> 3);
  let unset = 0;
  for (let i = 0; i < n; i++) {
    if (bit(i)) bits[i >> 3]! |= 1 << (i & 7);
    else unset++;
  }
  return { bits, unset };
}

function validityOf(n: number, valid: Uint8Array | null): { nullCount: number; nullBitmap?: Uint8Array } {
  if (!valid) return { nullCount: 0 };
  const { bits, unset } = bitmap(n, (i) => valid[i] === 1);
  return unset === 0 ? { nullCount: 0 } : { nullCount: unset, nullBitmap: bits };
}

/** Turns an evaluated expression into an Arrow column of `n` rows (scalars are broadcast). */
export function valToData(v: Val, n: number): Data {
  if (v.type === 'null') return makeData({ type: new Null(), length: n });
  if (v.s) {
    const allNull = v.value === null;
    const valid = allNull ? new Uint8Array(n) : null;
    switch (v.type) {
      case 'bool':
        return valToData({ s: false, type: 'bool', values: new Uint8Array(n).fill(v.value ? 1 : 0), valid }, n);
      case 'num':
      case 'time':
        return valToData({ s: false, type: v.type, values: new Float64Array(n).fill(v.value ?? 0), valid }, n);
      case 'int64':
        return valToData({ s: false, type: 'int64', values: new BigInt64Array(n).fill(v.value ?? 0n), valid }, n);
      case 'str': {
        const s = v.value;
        return utf8Data(new Array<string | null>(n).fill(s));
      }
    }
  } else {
    switch (v.type) {
      case 'bool': {
        const values = v.values;
        return makeData({ type: new Bool(), length: n, data: bitmap(n, (i) => values[i] === 1).bits, ...validityOf(n, v.valid) });
      }
      case 'num':
        return makeData({ type: new Float64(), length: n, data: v.values.length === n ? v.values : v.values.slice(0, n), ...validityOf(n, v.valid) });
      case 'time': {
        const micros = new BigInt64Array(n);
        for (let i = 0; i < n; i++) micros[i] = BigInt(Math.round(Number.isFinite(v.values[i]!) ? v.values[i]! : 0));
        return makeData({ type: new TimestampMicrosecond('UTC'), length: n, data: micros, ...validityOf(n, v.valid) });
      }
      case 'int64':
        return makeData({ type: new Int64(), length: n, data: v.values.length === n ? v.values : v.values.slice(0, n), ...validityOf(n, v.valid) });
      case 'str': {
        const out = new Array<string | null>(n);
        for (let i = 0; i < n; i++) out[i] = v.valid && !v.valid[i] ? null : v.values.get(i);
        return utf8Data(out);
      }
    }
  }
  throw new SynqxError('INTERNAL', `derive: cannot store an expression value of type ${(v as { type: string }).type}`);
}

/**
 * Adds or replaces columns from expressions. Every expression sees the input columns (not columns
 * derived in the same step), so the order of keys never changes a result; a replaced column keeps its
 * position, new ones are appended in config order. Result types: boolean → Bool, number → Float64,
 * exact integers → Int64, text → Utf8, timestamp → Timestamp[µs, UTC].
 */
export function buildDerive(config: DeriveConfig): TransformFn {
  const names = Object.keys(config.columns);
  const parsed = parseConditions(names.map((name) => [`config.columns.${name}`, config.columns[name]!] as const));
  const exprs = names.map((name, i) => [name, parsed[i]!] as const);
  return (batch: RecordBatch, ctx) => {
    const n = batch.numRows;
    let out = batch;
    for (const [name, expr] of exprs) {
      const data = valToData(expr.evaluate(batch, ctx), n);
      const existing = out.schema.fields.findIndex((f) => f.name === name);
      // A replaced column drops its metadata: a source's Postgres type would no longer describe it.
      const field = new Field(name, data.type as DataType, true);
      out = setColumn(out, existing >= 0 ? existing : out.schema.fields.length, field, data);
    }
    return out;
  };
}
