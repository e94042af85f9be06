import { DataType, Field, makeBuilder, makeData, RecordBatch, Schema, Struct, type Data } from 'apache-arrow';
import { z } from 'zod';
import { FIELD_META_PK_POSITION } from '../../core/data-ports.js';
import { SynqxError } from '../../core/errors.js';
import type { StreamOperator } from './stream-operator.js';

export const unionConfigSchema = z
  .object({
    /** sequential: every row of input 1, then of input 2…; interleaved: batches as they come (no order between inputs). */
    mode: z.enum(['sequential', 'interleaved']).default('sequential'),
  })
  .strict();

export type UnionConfig = z.infer<typeof unionConfigSchema>;

/**
 * UNION ALL by column name: the output has every input column, in order of first appearance; rows of
 * an input lacking a column get NULL there. A name with two different types is a DATA_ERROR (no
 * silent widening). Columns are passed through without copying. The output never claims a primary
 * key: rows from two inputs may repeat one.
 */
export function createUnion(config: UnionConfig): StreamOperator {
  return new Union(config);
}

class Union implements StreamOperator {
  readonly readOrder;
  readonly rowWise = false;
  private schema: Schema | undefined;
  /** Per input: for each output column, the input column index, or -1 for NULLs. */
  private mapping: number[][] = [];

  constructor(config: UnionConfig) {
    this.readOrder = config.mode === 'interleaved' ? ({ mode: 'interleaved' } as const) : ({ mode: 'sequential', order: [] as number[] } as const);
  }

  outputSchema(inputs: readonly Schema[]): Schema {
    if (this.readOrder.mode === 'sequential') {
      const order = this.readOrder.order as number[];
      order.length = 0;
      inputs.forEach((_, i) => order.push(i));
    }
    const fields: Field[] = [];
    const firstSeen = new Map<string, { index: number; input: number }>();
    const nullable: boolean[] = [];
    inputs.forEach((schema, input) => {
      for (const f of schema.fields) {
        const seen = firstSeen.get(f.name);
        if (!seen) {
          firstSeen.set(f.name, { index: fields.length, input });
          fields.push(f);
          nullable.push(f.nullable || input > 0);
          continue;
        }
        const first = fields[seen.index]!;
        if (String(first.type) !== String(f.type)) {
          throw new SynqxError(
            'DATA_ERROR',
            `union: column "${f.name}" is ${String(first.type)} in input ${seen.input + 1} but ${String(f.type)} in input ${input + 1}; cast one of them first (e.g. with derive)`,
          );
        }
        if (f.nullable) nullable[seen.index] = true;
      }
    });
    inputs.forEach((schema) => {
      const names = new Set(schema.fields.map((f) => f.name));
      fields.forEach((f, j) => {
        if (!names.has(f.name)) nullable[j] = true;
      });
    });
    const out = fields.map((f, j) => {
      const metadata = new Map(f.metadata);
      metadata.delete(FIELD_META_PK_POSITION);
      return new Field(f.name, f.type, nullable[j], metadata);
    });
    this.schema = new Schema(out);
    this.mapping = inputs.map((schema) => out.map((f) => schema.fields.findIndex((g) => g.name === f.name)));
    return this.schema;
  }

  push(input: number, batch: RecordBatch): RecordBatch[] {
    const schema = this.schema!;
    const n = batch.numRows;
    const children = this.mapping[input]!.map((c, j) => (c >= 0 ? batch.data.children[c]! : nullData(schema.fields[j]!.type, n)));
    return [new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: n, nullCount: 0, children }))];
  }

  end(): RecordBatch[] {
    return [];
  }

  finish(): RecordBatch[] {
    return [];
  }
}

/** A column of `length` NULLs of `type`. */
export function nullData(type: DataType, length: number): Data {
  const bitmap = new Uint8Array(((length + 63) & ~63) >> 3);
  if (DataType.isNull(type)) return makeData({ type, length });
  if (DataType.isUtf8(type) || DataType.isBinary(type)) {
    return makeData({ type, length, nullCount: length, nullBitmap: bitmap, valueOffsets: new Int32Array(length + 1), data: new Uint8Array(0) } as never);
  }
  if (DataType.isBool(type)) return makeData({ type, length, nullCount: length, nullBitmap: bitmap, data: new Uint8Array(bitmap.length) });
  const probe = makeBuilder({ type }).flush();
  const fixed = DataType.isInt(type) || DataType.isFloat(type) || DataType.isDate(type) || DataType.isTime(type) || DataType.isTimestamp(type) || DataType.isDuration(type) || DataType.isDecimal(type) || DataType.isInterval(type) || DataType.isFixedSizeBinary(type);
  if (fixed && probe.values) {
    const Ctor = (probe.values as unknown as { constructor: new (n: number) => unknown }).constructor;
    return makeData({ type, length, nullCount: length, nullBitmap: bitmap, data: new Ctor(length * probe.stride) } as never);
  }
  const builder = makeBuilder({ type, nullValues: [null] });
  for (let i = 0; i < length; i++) builder.append(null);
  return builder.finish().flush();
}
