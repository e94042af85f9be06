import { Field, makeData, RecordBatch, Schema, Struct, vectorFromArray, type DataType } from 'apache-arrow';

export interface ColumnSpec {
  type: DataType;
  values: readonly unknown[];
  metadata?: Record<string, string>;
}

export const col = (type: DataType, values: readonly unknown[], metadata?: Record<string, string>): ColumnSpec => ({ type, values, metadata });

/** A RecordBatch from column specs (NULL = null), fields nullable, metadata kept. */
export function makeBatch(columns: Record<string, ColumnSpec>): RecordBatch {
  const entries = Object.entries(columns);
  const fields = entries.map(([name, c]) => new Field(name, c.type, true, new Map(Object.entries(c.metadata ?? {}))));
  const children = entries.map(([, c]) => vectorFromArray(c.values as unknown[], c.type).data[0]!);
  const length = children[0]?.length ?? 0;
  return new RecordBatch(new Schema(fields), makeData({ type: new Struct(fields), length, nullCount: 0, children }));
}

/** Rows as plain objects (for assertions); bigint stays bigint. */
export function rowsOf(batch: RecordBatch | null): Record<string, unknown>[] {
  if (!batch) return [];
  const names = batch.schema.fields.map((f) => f.name);
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < batch.numRows; i++) {
    const row: Record<string, unknown> = {};
    names.forEach((name, c) => {
      const v = batch.getChildAt(c)!.get(i);
      row[name] = v instanceof Uint8Array ? Array.from(v) : v;
    });
    out.push(row);
  }
  return out;
}

/** A deep snapshot of every buffer of a batch, to prove a transform did not mutate its input. */
export function snapshotBuffers(batch: RecordBatch): string {
  const parts: string[] = [];
  const visit = (d: { values?: unknown; valueOffsets?: unknown; nullBitmap?: unknown; children: readonly unknown[] }): void => {
    for (const b of [d.values, d.valueOffsets, d.nullBitmap]) {
      if (b && ArrayBuffer.isView(b)) parts.push(Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64'));
      else parts.push('-');
    }
    for (const c of d.children) visit(c as never);
  };
  visit(batch.data as never);
  return `${batch.schema.fields.map((f) => `${f.name}:${String(f.type)}`).join(',')}|${parts.join('|')}`;
}
