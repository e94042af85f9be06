import {
  Binary,
  Bool,
  DataType,
  DateDay,
  Field,
  FixedSizeBinary,
  Float32,
  Float64,
  Int16,
  Int32,
  Int64,
  type Int,
  List,
  Struct,
  TimeMicrosecond,
  TimestampMicrosecond,
  Type,
  Utf8,
} from 'apache-arrow';
import { FIELD_META_PG_TYPE, FIELD_META_PK_POSITION } from '../../core/data-ports.js';
import { quoteQualified } from '../../core/sql.js';

/**
 * PostgreSQL catalog types ⇄ Arrow types. Every choice below keeps values exact:
 *
 * | PG type                      | Arrow type                                   | notes |
 * |------------------------------|----------------------------------------------|-------|
 * | bool                         | Bool                                         | |
 * | int2 / int4 / int8           | Int16 / Int32 / Int64                        | |
 * | float4 / float8              | Float32 / Float64                            | bits copied, so NaN payloads and ±Infinity survive |
 * | numeric(p,s) / numeric       | Utf8 (PG's text form, e.g. `-12.50`, `NaN`)  | never a JS float; any precision |
 * | text, varchar(n), char(n)    | Utf8                                         | char(n) keeps its padding |
 * | json / jsonb                 | Utf8                                         | jsonb drops its version byte |
 * | enum                         | Utf8 (the label)                             | labels travel in FIELD_META_PG_ENUM_LABELS |
 * | bytea                        | Binary                                       | |
 * | uuid                         | FixedSizeBinary(16)                          | |
 * | date                         | DateDay (days since 1970-01-01)              | `infinity` = INT32_MAX, `-infinity` = INT32_MIN |
 * | time                         | Time64(µs)                                   | 24:00:00 = 86 400 000 000 |
 * | timetz                       | Struct{time: Time64(µs), utc_offset_s: Int32} | offset east of UTC (ISO sign) |
 * | timestamp / timestamptz      | Timestamp(µs) / Timestamp(µs, "UTC")         | `infinity` = INT64_MAX, `-infinity` = INT64_MIN; BC years are just negative values |
 * | interval                     | Struct{months: Int32, days: Int32, micros: Int64} | PG's three fields, no normalisation |
 * | inet / cidr                  | Utf8 (`10.0.0.1/8`, `2001:db8::/32`)         | |
 * | T[] (one dimension, lbound 1)| List<T> (elements nullable)                  | multi-dimensional arrays are rejected with DATA_ERROR |
 * | anything else                | Utf8 (the source SELECT casts it to text)    | loaded through a text staging column and a cast |
 *
 * Timestamps are shifted from PG's 2000-01-01 epoch to Unix; finite values later than year 292277
 * (the last ~2000 years of PG's range) do not fit an int64 after the shift and fail with DATA_ERROR.
 */

/** Wire formats we decode and encode natively; OTHER means "travels as text". */
export const Kind = {
  OTHER: 0,
  BOOL: 1,
  INT2: 2,
  INT4: 3,
  INT8: 4,
  FLOAT4: 5,
  FLOAT8: 6,
  NUMERIC: 7,
  TEXT: 8,
  JSONB: 9,
  BYTEA: 10,
  DATE: 11,
  TIME: 12,
  TIMETZ: 13,
  TIMESTAMP: 14,
  TIMESTAMPTZ: 15,
  INTERVAL: 16,
  UUID: 17,
  INET: 18,
  CIDR: 19,
  ARRAY: 20,
} as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

/** JSON array of an enum's labels in sort order, so a sink can create the enum. */
export const FIELD_META_PG_ENUM_LABELS = 'synqx.pg_enum_labels';

/** One row of pg_type, as read by catalog.ts. */
export interface PgTypeInfo {
  oid: number;
  name: string;
  schema: string;
  /** typtype: b base, c composite, d domain, e enum, p pseudo, r range, m multirange. */
  typtype: string;
  /** typelem for true array types (typcategory 'A'), else 0. */
  elemOid: number;
  /** Domains: the base type and its typmod. */
  baseOid: number;
  baseTypmod: number;
  enumLabels?: string[];
}

/** A column as the catalog describes it (domains already resolved to their base type). */
export interface PgColumn {
  name: string;
  typeOid: number;
  typmod: number;
  /** format_type(oid, typmod), e.g. `numeric(12,2)`, `character varying(40)[]`. */
  formatType: string;
  notNull: boolean;
  /** 1-based position in the primary key. */
  pkPosition?: number;
  type: PgTypeInfo;
  /** The element type of an array column (a domain element resolved to its base type). */
  elem?: PgTypeInfo;
  /** The array's own element type oid (pg_type.typelem), which array headers must carry. */
  elemOid?: number;
}

/** How one column travels: its wire format and its Arrow type. */
export interface ColumnCodec {
  name: string;
  kind: Kind;
  /** Element wire format of an ARRAY column. */
  elemKind: Kind;
  /** Element type oid written into array headers (must be the destination's own). */
  elemOid: number;
  /** The exact PG type, as written into FIELD_META_PG_TYPE and used for CREATE TABLE. */
  pgType: string;
  /** True when the column is not natively supported: the source casts it to text. */
  castToText: boolean;
  enumLabels?: string[];
}

const BUILTIN: ReadonlyMap<number, Kind> = new Map<number, Kind>([
  [16, Kind.BOOL],
  [21, Kind.INT2],
  [23, Kind.INT4],
  [20, Kind.INT8],
  [700, Kind.FLOAT4],
  [701, Kind.FLOAT8],
  [1700, Kind.NUMERIC],
  [25, Kind.TEXT],
  [1043, Kind.TEXT],
  [1042, Kind.TEXT],
  [19, Kind.TEXT], // name: sent as plain text
  [114, Kind.TEXT], // json: sent as plain text
  [3802, Kind.JSONB],
  [17, Kind.BYTEA],
  [1082, Kind.DATE],
  [1083, Kind.TIME],
  [1266, Kind.TIMETZ],
  [1114, Kind.TIMESTAMP],
  [1184, Kind.TIMESTAMPTZ],
  [1186, Kind.INTERVAL],
  [2950, Kind.UUID],
  [869, Kind.INET],
  [650, Kind.CIDR],
]);

export function scalarKindOf(t: PgTypeInfo): Kind {
  const builtin = BUILTIN.get(t.oid);
  if (builtin !== undefined) return builtin;
  if (t.typtype === 'e') return Kind.TEXT; // enum labels are sent as text
  return Kind.OTHER;
}

function enumTypeName(t: PgTypeInfo): string {
  return quoteQualified(t.schema, t.name);
}

/** Decides how a column travels. Arrays of unsupported elements travel as text like any other type. */
export function codecForColumn(col: PgColumn): ColumnCodec {
  const base = { name: col.name, elemKind: Kind.OTHER as Kind, elemOid: 0, castToText: false };
  if (col.elem) {
    const elemKind = scalarKindOf(col.elem);
    const pgType = col.elem.typtype === 'e' ? `${enumTypeName(col.elem)}[]` : col.formatType;
    if (elemKind === Kind.OTHER) return { ...base, kind: Kind.TEXT, pgType, castToText: true };
    return { ...base, kind: Kind.ARRAY, elemKind, elemOid: col.elemOid ?? col.elem.oid, pgType, enumLabels: col.elem.enumLabels };
  }
  const kind = scalarKindOf(col.type);
  if (col.type.typtype === 'e') return { ...base, kind, pgType: enumTypeName(col.type), enumLabels: col.type.enumLabels };
  if (kind === Kind.OTHER) return { ...base, kind: Kind.TEXT, pgType: col.formatType, castToText: true };
  return { ...base, kind, pgType: col.formatType };
}

export const TIMETZ_ARROW = () =>
  new Struct([new Field('time', new TimeMicrosecond(), false), new Field('utc_offset_s', new Int32(), false)]);
export const INTERVAL_ARROW = () =>
  new Struct([new Field('months', new Int32(), false), new Field('days', new Int32(), false), new Field('micros', new Int64(), false)]);

export function arrowTypeForKind(kind: Kind, elemKind: Kind = Kind.OTHER): DataType {
  switch (kind) {
    case Kind.BOOL:
      return new Bool();
    case Kind.INT2:
      return new Int16();
    case Kind.INT4:
      return new Int32();
    case Kind.INT8:
      return new Int64();
    case Kind.FLOAT4:
      return new Float32();
    case Kind.FLOAT8:
      return new Float64();
    case Kind.BYTEA:
      return new Binary();
    case Kind.DATE:
      return new DateDay();
    case Kind.TIME:
      return new TimeMicrosecond();
    case Kind.TIMETZ:
      return TIMETZ_ARROW();
    case Kind.TIMESTAMP:
      return new TimestampMicrosecond();
    case Kind.TIMESTAMPTZ:
      return new TimestampMicrosecond('UTC');
    case Kind.INTERVAL:
      return INTERVAL_ARROW();
    case Kind.UUID:
      return new FixedSizeBinary(16);
    case Kind.ARRAY:
      return new List(new Field('item', arrowTypeForKind(elemKind), true));
    default:
      return new Utf8(); // NUMERIC, TEXT, JSONB, INET, CIDR, OTHER
  }
}

export function arrowFieldFor(col: PgColumn, codec: ColumnCodec): Field {
  const metadata = new Map<string, string>([[FIELD_META_PG_TYPE, codec.pgType]]);
  if (col.pkPosition !== undefined) metadata.set(FIELD_META_PK_POSITION, String(col.pkPosition));
  if (codec.enumLabels) metadata.set(FIELD_META_PG_ENUM_LABELS, JSON.stringify(codec.enumLabels));
  return new Field(col.name, arrowTypeForKind(codec.kind, codec.elemKind), !col.notNull, metadata);
}

function structNames(t: DataType): string {
  return (t as Struct).children.map((f) => f.name).join(',');
}

/**
 * Whether Arrow type `t` is exactly what the encoder writes for `kind` (see the table above).
 * Numeric widening (Int32 into bigint, Float32 into double precision) is handled by the encoder's
 * coercion step before this check.
 */
export function arrowMatchesKind(t: DataType, kind: Kind, elemKind: Kind = Kind.OTHER): boolean {
  switch (kind) {
    case Kind.BOOL:
      return t.typeId === Type.Bool;
    case Kind.INT2:
    case Kind.INT4:
    case Kind.INT8: {
      if (t.typeId !== Type.Int) return false;
      const it = t as Int16;
      return it.isSigned && it.bitWidth === (kind === Kind.INT2 ? 16 : kind === Kind.INT4 ? 32 : 64);
    }
    case Kind.FLOAT4:
      return t.typeId === Type.Float && (t as Float32).precision === 1;
    case Kind.FLOAT8:
      return t.typeId === Type.Float && (t as Float64).precision === 2;
    case Kind.BYTEA:
      return t.typeId === Type.Binary;
    case Kind.DATE:
      return t.typeId === Type.Date && (t as DateDay).unit === 0;
    case Kind.TIME:
      return t.typeId === Type.Time && (t as TimeMicrosecond).unit === 2 && (t as TimeMicrosecond).bitWidth === 64;
    case Kind.TIMESTAMP:
    case Kind.TIMESTAMPTZ:
      return t.typeId === Type.Timestamp && (t as TimestampMicrosecond).unit === 2;
    case Kind.TIMETZ:
      return t.typeId === Type.Struct && structNames(t) === 'time,utc_offset_s' && arrowMatchesKind((t as Struct).children[0]!.type, Kind.TIME);
    case Kind.INTERVAL:
      return t.typeId === Type.Struct && structNames(t) === 'months,days,micros';
    case Kind.UUID:
      return t.typeId === Type.FixedSizeBinary && (t as FixedSizeBinary).byteWidth === 16;
    case Kind.ARRAY:
      return t.typeId === Type.List && arrowMatchesKind((t as List).children[0]!.type, elemKind);
    default:
      return t.typeId === Type.Utf8;
  }
}

/** Bits an integer type's range needs as a signed integer: int16 → 16, uint16 → 17 (a sign bit more). */
export function intRangeBits(t: Int): number {
  return t.bitWidth + (t.isSigned ? 0 : 1);
}

/** The PG type to create for a field: its recorded exact type, else one derived from the Arrow type. */
export function pgTypeForField(field: Field): string {
  const recorded = field.metadata.get(FIELD_META_PG_TYPE);
  if (recorded) return recorded;
  const derived = pgTypeForArrow(field.type);
  if (!derived) throw new Error(`no PostgreSQL type for Arrow type ${String(field.type)} of column "${field.name}"`);
  return derived;
}

function pgTypeForArrow(t: DataType): string | undefined {
  switch (t.typeId) {
    case Type.Bool:
      return 'boolean';
    case Type.Int: {
      const w = intRangeBits(t as Int);
      return w <= 16 ? 'smallint' : w <= 32 ? 'integer' : w <= 64 ? 'bigint' : 'numeric';
    }
    case Type.Float:
      return (t as Float64).precision === 2 ? 'double precision' : 'real';
    case Type.Utf8:
    case Type.LargeUtf8:
      return 'text';
    case Type.Binary:
    case Type.LargeBinary:
      return 'bytea';
    case Type.FixedSizeBinary:
      return (t as FixedSizeBinary).byteWidth === 16 ? 'uuid' : 'bytea';
    case Type.Date:
      return 'date';
    case Type.Time:
      return 'time without time zone';
    case Type.Timestamp:
      return (t as TimestampMicrosecond).timezone ? 'timestamp with time zone' : 'timestamp without time zone';
    case Type.Decimal: {
      const d = t as unknown as { precision: number; scale: number };
      return `numeric(${d.precision},${d.scale})`;
    }
    case Type.Struct:
      if (arrowMatchesKind(t, Kind.TIMETZ)) return 'time with time zone';
      if (arrowMatchesKind(t, Kind.INTERVAL)) return 'interval';
      return undefined;
    case Type.List: {
      const inner = pgTypeForArrow((t as List).children[0]!.type);
      return inner && !inner.endsWith(']') ? `${inner}[]` : undefined;
    }
    default:
      return undefined;
  }
}
