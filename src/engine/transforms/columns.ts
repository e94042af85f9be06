import { Field, makeData, RecordBatch, Schema, Struct, type Data } from 'apache-arrow';
import { SynqxError } from '../../core/errors.js';

/** Column-level reshaping without copying data: the new batch reuses the input's column buffers. */
export function withColumns(batch: RecordBatch, fields: Field[], children: Data[]): RecordBatch {
  const schema = new Schema(fields, batch.schema.metadata);
  const data = makeData({ type: new Struct(fields), length: batch.numRows, nullCount: 0, children });
  return new RecordBatch(schema, data);
}

export function columnNotFound(what: string, name: string, batch: RecordBatch): SynqxError {
  const names = batch.schema.fields.map((f) => f.name).join(', ');
  return new SynqxError('TRANSFORM_ERROR', `${what}: column "${name}" not found; the input has: ${names}`);
}

/** Drops `names`; every name must exist unless `ignoreMissing`. */
export function dropColumns(batch: RecordBatch, names: readonly string[], what: string, ignoreMissing = false): RecordBatch {
  if (names.length === 0) return batch;
  const present = new Set(batch.schema.fields.map((f) => f.name));
  if (!ignoreMissing) for (const n of names) if (!present.has(n)) throw columnNotFound(what, n, batch);
  const drop = new Set(names);
  const fields: Field[] = [];
  const children: Data[] = [];
  batch.schema.fields.forEach((f, i) => {
    if (drop.has(f.name)) return;
    fields.push(f);
    children.push(batch.data.children[i]!);
  });
  return withColumns(batch, fields, children);
}

/** Renames `{old: new}`; a missing old name is an error unless `ignoreMissing`; duplicate results are errors. */
export function renameColumns(batch: RecordBatch, mapping: Readonly<Record<string, string>>, what: string, ignoreMissing = false): RecordBatch {
  const entries = Object.entries(mapping);
  if (entries.length === 0) return batch;
  const present = new Set(batch.schema.fields.map((f) => f.name));
  if (!ignoreMissing) for (const [from] of entries) if (!present.has(from)) throw columnNotFound(what, from, batch);
  const fields = batch.schema.fields.map((f) => {
    const to = Object.hasOwn(mapping, f.name) ? mapping[f.name]! : undefined;
    return to === undefined || to === f.name ? f : new Field(to, f.type, f.nullable, f.metadata);
  });
  const seen = new Set<string>();
  for (const f of fields) {
    if (seen.has(f.name)) throw new SynqxError('TRANSFORM_ERROR', `${what}: renaming gives two columns named "${f.name}"`);
    seen.add(f.name);
  }
  return withColumns(batch, fields, batch.data.children.slice());
}
