import type { CastTarget } from './ast.js';
import type { SqlType } from './sql-types.js';

/**
 * Type names a cast accepts: the evaluator's target, and the SQL type of the result (smallint and int
 * evaluate alike but make different columns). The evaluator has no exact decimal: numeric is float8.
 */
export const CAST_TYPES: Readonly<Record<string, readonly [CastTarget, SqlType]>> = {
  int: ['int', 'int4'], integer: ['int', 'int4'], int4: ['int', 'int4'], smallint: ['int', 'int2'], int2: ['int', 'int2'],
  bigint: ['bigint', 'int8'], int8: ['bigint', 'int8'],
  double: ['double', 'float8'], float: ['double', 'float8'], float8: ['double', 'float8'], real: ['double', 'float4'], float4: ['double', 'float4'],
  numeric: ['double', 'float8'], decimal: ['double', 'float8'],
  text: ['text', 'text'], varchar: ['text', 'text'], string: ['text', 'text'],
  bool: ['bool', 'bool'], boolean: ['bool', 'bool'],
  date: ['date', 'date'], timestamp: ['timestamp', 'timestamp'], timestamptz: ['timestamp', 'timestamptz'],
};
/** Type names that may prefix a string literal: `date '2024-01-31'`. */
export const TYPED_LITERALS: ReadonlySet<string> = new Set(['date', 'timestamp', 'timestamptz']);
