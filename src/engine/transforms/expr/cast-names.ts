import { walk, type Cast, type Expr } from './ast.js';
import type { SqlType } from './sql-types.js';

/**
 * The parser maps a cast's type name to an evaluator target (cast.target) and keeps no name, but
 * smallint and int, real and double, timestamp and timestamptz are different result types. The name
 * is read back from the source text the parser accepted: between the operand and the closing
 * parenthesis of `cast(x as <type words>[(<modifiers>)])`, or before the string of a typed literal
 * (`timestamptz '2024-01-31 10:00+02'`).
 */
const NAMES: Readonly<Record<string, SqlType>> = {
  smallint: 'int2',
  int2: 'int2',
  int: 'int4',
  integer: 'int4',
  int4: 'int4',
  bigint: 'int8',
  int8: 'int8',
  real: 'float4',
  float4: 'float4',
  float: 'float8',
  float8: 'float8',
  double: 'float8',
  // The evaluator has no exact decimal: numeric values are float64, so the column is too.
  numeric: 'float8',
  decimal: 'float8',
  text: 'text',
  varchar: 'text',
  string: 'text',
  bool: 'bool',
  boolean: 'bool',
  date: 'date',
  timestamp: 'timestamp',
  timestamptz: 'timestamptz',
};

const WRITTEN = /^\s*as\s+([a-z_][a-z0-9_]*)((?:\s+[a-z_]+)*)\s*(?:\(\s*(\d+)[^)]*\))?\s*\)\s*$/i;

/** The SQL type a cast's source text names, or undefined when it cannot be read. */
export function writtenCastType(source: string, e: Cast): SqlType | undefined {
  const after = source.slice(e.operand.end, e.end);
  if (after === '') return NAMES[source.slice(e.pos, e.operand.pos).trim().toLowerCase()];
  const m = WRITTEN.exec(after);
  if (!m) return undefined;
  const name = m[1]!.toLowerCase();
  // `timestamp with time zone` (the parser takes `with …` after timestamp to mean timestamptz).
  if (name === 'timestamp' && /^\s+with\b/i.test(m[2]!)) return 'timestamptz';
  // float(p) is real up to 24 bits of precision, as in Postgres.
  if (name === 'float' && m[3] !== undefined && Number(m[3]) <= 24) return 'float4';
  return NAMES[name];
}

/** Records on every cast node of a freshly parsed `expr` the SQL type its source names. */
export function recordCastTypes(expr: Expr, source: string): void {
  walk(expr, (e) => {
    if (e.kind === 'cast') e.sqlType = writtenCastType(source, e);
  });
}
