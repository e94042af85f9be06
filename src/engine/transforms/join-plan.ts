import { Field, Schema, type Int } from 'apache-arrow';
import { FIELD_META_PK_POSITION } from '../../core/data-ports.js';
import { SynqxError } from '../../core/errors.js';
import { commonIntType, keyTypeMismatch, sameType } from './key-encoding.js';

export type JoinType = 'inner' | 'left' | 'right' | 'full';

export interface JoinShape {
  type: JoinType;
  /** Key column pairs; `coalesce` when given as `keys` (same name on both sides, one output column). */
  pairs: readonly { left: string; right: string }[];
  coalesce: boolean;
  rightSuffix: string;
}

/** One output column: copied from one input, or (a `keys` column) left value, else right value. */
export type OutputColumn =
  | { from: 'left'; index: number }
  | { from: 'right'; index: number }
  | { from: 'both'; left: number; right: number; cast: boolean };

export interface JoinPlan {
  schema: Schema;
  leftKeys: number[];
  rightKeys: number[];
  columns: OutputColumn[];
}

export const preserves = (type: JoinType, side: 'left' | 'right'): boolean => type === 'full' || type === side;

function keyIndex(schema: Schema, name: string, side: 'left' | 'right'): number {
  const i = schema.fields.findIndex((f) => f.name === name);
  if (i < 0) {
    const names = schema.fields.map((f) => f.name).join(', ');
    throw new SynqxError('DATA_ERROR', `join: the ${side} input has no key column "${name}"; it has: ${names}`);
  }
  return i;
}

/**
 * The output of a join for its two input schemas: left columns then right columns. Under `keys` the
 * right key columns are dropped and each left key column holds COALESCE(left, right) — SQL's
 * `JOIN … USING`, so the rows only the right side has keep their key. Under `on` every column is kept.
 * A right column whose name a left column already has gets `rightSuffix`. Columns the outer side of a
 * join can pad with NULLs become nullable. No output column keeps a source's primary-key mark: a key
 * of one input is not a key of the join (duplicates on the other side repeat it, an outer join pads
 * it with NULLs), and a load would create its destination with that PRIMARY KEY and fail.
 */
export function planJoin(shape: JoinShape, left: Schema, right: Schema): JoinPlan {
  const leftKeys = shape.pairs.map((p) => keyIndex(left, p.left, 'left'));
  const rightKeys = shape.pairs.map((p) => keyIndex(right, p.right, 'right'));
  const mismatches = shape.pairs
    .map((_, k) => keyTypeMismatch(left.fields[leftKeys[k]!]!, right.fields[rightKeys[k]!]!))
    .filter((m): m is string => m !== undefined);
  if (mismatches.length > 0) throw new SynqxError('DATA_ERROR', `join: ${mismatches.join('; ')}`);

  const leftNullable = preserves(shape.type, 'right');
  const rightNullable = preserves(shape.type, 'left');
  const fields: Field[] = [];
  const columns: OutputColumn[] = [];
  left.fields.forEach((f, i) => {
    const k = shape.coalesce ? leftKeys.indexOf(i) : -1;
    if (k < 0) {
      fields.push(new Field(f.name, f.type, f.nullable || leftNullable, unkeyed(f)));
      columns.push({ from: 'left', index: i });
      return;
    }
    const r = right.fields[rightKeys[k]!]!;
    const cast = !sameType(f.type, r.type);
    const type = cast ? commonIntType(f.type as Int, r.type as Int) : f.type;
    fields.push(new Field(f.name, type, f.nullable || r.nullable, unkeyed(f)));
    columns.push({ from: 'both', left: i, right: rightKeys[k]!, cast });
  });
  const leftNames = new Set(fields.map((f) => f.name));
  right.fields.forEach((f, i) => {
    if (shape.coalesce && rightKeys.includes(i)) return;
    const name = leftNames.has(f.name) ? `${f.name}${shape.rightSuffix}` : f.name;
    fields.push(new Field(name, f.type, f.nullable || rightNullable, unkeyed(f)));
    columns.push({ from: 'right', index: i });
  });

  const seen = new Set<string>();
  for (const f of fields) {
    if (seen.has(f.name)) {
      throw new SynqxError('DATA_ERROR', `join: the output would have two columns named "${f.name}"; rename one input's column or change right_suffix`);
    }
    seen.add(f.name);
  }
  return { schema: new Schema(fields, left.metadata), leftKeys, rightKeys, columns };
}

function unkeyed(f: Field): Map<string, string> {
  const metadata = new Map(f.metadata);
  metadata.delete(FIELD_META_PK_POSITION);
  return metadata;
}

/** The same fields, names and types (metadata and nullability aside): batches of one input must agree. */
export function sameFields(a: Schema, b: Schema): boolean {
  if (a === b) return true;
  if (a.fields.length !== b.fields.length) return false;
  return a.fields.every((f, i) => f.name === b.fields[i]!.name && sameType(f.type, b.fields[i]!.type));
}
