import { DataType, makeBuilder, makeData, makeVector, type Data, type Field } from 'apache-arrow';
import { FIELD_META_PG_TYPE } from '../../core/data-ports.js';
import { SynqxError } from '../../core/errors.js';
import { validity } from './row-keys.js';
import { utf8Data, validityOfValues } from './column-data.js';

/**
 * Exact single values of orderable columns, for sort and min/max: fixed-width values straight from
 * their buffers (int64 and µs timestamps as bigint, never a rounded JS date), text as strings, bytes
 * as bytes. Columns of other types (decimal, interval, struct, list…) are refused with DATA_ERROR.
 */
export type Cell = number | bigint | string | boolean | Uint8Array;

export interface CellKind {
  /** Reads row `row` of `data` (a chunk of this column); null for NULL. */
  reader(data: Data): (row: number) => Cell | null;
  /** Total order on non-NULL cells: Postgres order for numbers (NaN above everything), binary for text and bytes. */
  compare(a: Cell, b: Cell): number;
  /** A column of the field's type holding `cells`. */
  toData(cells: readonly (Cell | null)[]): Data;
}

export function cellKind(field: Field, what: string): CellKind {
  const type = field.type;
  if (DataType.isBool(type)) {
    return { reader: boolReader, compare: (a, b) => Number(a) - Number(b), toData: (cells) => viaBuilder(field, cells) };
  }
  if (DataType.isUtf8(type) || DataType.isLargeUtf8(type)) {
    const numeric = /^numeric(\(|$)/.test(field.metadata.get(FIELD_META_PG_TYPE) ?? '');
    return {
      reader: vectorReader,
      compare: numeric ? (a, b) => compareDecimalText(a as string, b as string) : compareStrings,
      toData: (cells) => (DataType.isUtf8(type) ? utf8Data(cells as (string | null)[]) : viaBuilder(field, cells)),
    };
  }
  if (DataType.isBinary(type) || DataType.isLargeBinary(type) || DataType.isFixedSizeBinary(type)) {
    return { reader: bytesReader, compare: (a, b) => Buffer.compare(a as Uint8Array, b as Uint8Array), toData: (cells) => viaBuilder(field, cells) };
  }
  const fixed = DataType.isInt(type) || DataType.isFloat(type) || DataType.isDate(type) || DataType.isTime(type) || DataType.isTimestamp(type) || DataType.isDuration(type);
  const probe = fixed ? makeBuilder({ type }).flush() : undefined;
  if (probe && probe.stride === 1 && !(probe.values instanceof Uint16Array)) {
    const isFloat = DataType.isFloat(type);
    return {
      reader: (data) => {
        const values = data.values as unknown as ArrayLike<number | bigint>;
        const valid = validity(data);
        return valid ? (row) => (valid(row) ? values[row]! : null) : (row) => values[row]!;
      },
      compare: isFloat ? compareFloats : (a, b) => (a < b ? -1 : a > b ? 1 : 0),
      toData: (cells) => fixedData(field, cells as (number | bigint | null)[]),
    };
  }
  throw new SynqxError('DATA_ERROR', `${what}: column "${field.name}" has type ${String(type)}, which has no order here (numbers, text, bytes, booleans, dates and times do)`);
}

function boolReader(data: Data): (row: number) => Cell | null {
  const bits = data.values as Uint8Array;
  const valid = validity(data);
  return (row) => {
    if (valid && !valid(row)) return null;
    const i = data.offset + row;
    return ((bits[i >> 3]! >> (i & 7)) & 1) === 1;
  };
}

function vectorReader(data: Data): (row: number) => Cell | null {
  const v = makeVector(data);
  return (row) => v.get(row) as string | null;
}

function bytesReader(data: Data): (row: number) => Cell | null {
  const v = makeVector(data);
  return (row) => {
    const b = v.get(row) as Uint8Array | null;
    // A copy: the cell may outlive the batch it came from (min/max), and must not pin its buffers.
    return b === null ? null : b.slice();
  };
}

export function compareStrings(a: Cell, b: Cell): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Postgres float order: -0 = 0, NaN equals NaN and sorts above every other value. */
function compareFloats(a: Cell, b: Cell): number {
  const x = a as number;
  const y = b as number;
  if (x < y) return -1;
  if (x > y) return 1;
  if (x === y) return 0;
  return Number.isNaN(x) ? (Number.isNaN(y) ? 0 : 1) : -1;
}

/** Numeric as PG's text form (`-12.50`, `NaN`): compared as numbers, exactly, NaN above all. */
export function compareDecimalText(a: string, b: string): number {
  const an = a === 'NaN';
  const bn = b === 'NaN';
  if (an || bn) return an === bn ? 0 : an ? 1 : -1;
  const inf = (s: string) => (s === 'Infinity' ? 1 : s === '-Infinity' ? -1 : 0);
  if (inf(a) || inf(b)) return Math.sign(inf(a) - inf(b));
  const [sa, ia, fa] = splitDecimal(a);
  const [sb, ib, fb] = splitDecimal(b);
  if (sa !== sb) return sa - sb;
  let mag = ia.length !== ib.length ? ia.length - ib.length : ia < ib ? -1 : ia > ib ? 1 : 0;
  if (mag === 0) {
    const len = Math.max(fa.length, fb.length);
    const x = fa.padEnd(len, '0');
    const y = fb.padEnd(len, '0');
    mag = x < y ? -1 : x > y ? 1 : 0;
  }
  return sa < 0 ? -Math.sign(mag) : Math.sign(mag);
}

function splitDecimal(s: string): [number, string, string] {
  let t = s.trim();
  let sign = 1;
  if (t.startsWith('-')) {
    sign = -1;
    t = t.slice(1);
  } else if (t.startsWith('+')) t = t.slice(1);
  const [int = '', frac = ''] = t.split('.');
  const i = int.replace(/^0+/, '');
  const f = frac.replace(/0+$/, '');
  if (i === '' && f === '') return [0, '', ''];
  return [sign, i, f];
}

function fixedData(field: Field, cells: readonly (number | bigint | null)[]): Data {
  const type = field.type;
  const length = cells.length;
  const Ctor = (type as { ArrayType: new (n: number) => { [i: number]: number | bigint } }).ArrayType;
  const values = new Ctor(length);
  for (let i = 0; i < length; i++) {
    const c = cells[i];
    if (c !== null && c !== undefined) values[i] = c;
  }
  return makeData({ type, length, data: values, ...validityOfValues(cells) } as never);
}

function viaBuilder(field: Field, cells: readonly (Cell | null)[]): Data {
  const builder = makeBuilder({ type: field.type, nullValues: [null, undefined] });
  for (const c of cells) builder.append(c);
  return builder.finish().flush();
}
