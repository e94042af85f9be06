import type pg from 'pg';

/**
 * A table with every natively supported type, arrays of them, types that travel as text, NULLs and
 * edge values. Shared by the type-fidelity tests.
 */
export const TORTURE_SETUP = `
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy', 'it''s "quoted"');
CREATE SCHEMA app;
CREATE TYPE app."Weird Enum" AS ENUM ('a b', 'C');
CREATE TABLE torture (
  id int PRIMARY KEY,
  b bool, i2 int2, i4 int4, i8 int8, f4 float4, f8 float8,
  n numeric, n12 numeric(12,2), nbig numeric(60,20),
  t text, vc varchar(40), ch char(5), nm name,
  by bytea,
  d date, tm time, tm3 time(3), ttz timetz, ts timestamp, ts0 timestamp(0), tstz timestamptz,
  iv interval, u uuid, j json, jb jsonb, ip inet, cd cidr,
  m mood, w app."Weird Enum",
  a_b bool[], a_i2 int2[], a_i4 int4[], a_i8 int8[], a_f4 float4[], a_f8 float8[],
  a_n numeric[], a_n12 numeric(12,2)[], a_t text[], a_vc varchar(10)[], a_ch char(3)[], a_by bytea[],
  a_d date[], a_tm time[], a_ttz timetz[], a_ts timestamp[], a_tstz timestamptz[], a_iv interval[],
  a_u uuid[], a_j json[], a_jb jsonb[], a_ip inet[], a_cd cidr[], a_m mood[],
  x_tsv tsvector, x_rng int4range, x_pt point, x_bits bit varying(10), x_xml xml, x_arr_rng int4range[], x_money_free int4multirange
);
INSERT INTO torture (id) VALUES (1); -- all NULL
INSERT INTO torture VALUES (
  2, true, -32768, -2147483648, -9223372036854775808, 'NaN', 'NaN',
  'NaN', -9999999999.99, '-1234567890123456789012345678901234567890.12345678901234567890',
  '', '', '', '',
  '\\x',
  '-infinity', '00:00:00', '23:59:59.999', '00:00:00+15:59', '-infinity', '4714-11-24 00:00:00 BC', '-infinity',
  '-178000000 years', '00000000-0000-0000-0000-000000000000', '""', '{}', '0.0.0.0/0', '0.0.0.0/0',
  'sad', 'a b',
  '{}', '{}', '{}', '{}', '{}', '{}',
  '{}', '{}', '{}', '{}', '{}', '{}',
  '{}', '{}', '{}', '{}', '{}', '{}',
  '{}', '{}', '{}', '{}', '{}', '{}',
  '', 'empty', '(0,0)', '', '<x/>', '{}', '{}'
);
INSERT INTO torture VALUES (
  3, false, 32767, 2147483647, 9223372036854775807, 'Infinity', '-Infinity',
  '123456789012345678901234567890123456789012345678.000000000000000000001', 99999999.99, '0.00000000000000000001',
  E'tab\\there\\nnewline\\\\backslash "quotes" ''single'' 😀 𝄞 \\u00e9', 'it''s "nested" ''quote''', 'ab', 'name',
  '\\x00ff10',
  'infinity', '24:00:00', '12:34:56.789', '23:59:59.999999-15:59', 'infinity', '292277-01-01 00:00:00', 'infinity',
  '1 year 2 months 3 days 04:05:06.789012', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '{"a": [1, 2.50, "x\\"y"], "b": null}', '{"z": 1, "a": {"nested": [true, false, null]}, "u": "😀"}',
  '2001:db8::1/64', '2001:db8::/32',
  'it''s "quoted"', 'C',
  '{true,NULL,false}', '{1,NULL,-32768}', '{NULL}', '{9223372036854775807,NULL}', '{NaN,Infinity,-Infinity,NULL,1.5}', '{-0,NaN,1e308}',
  '{NaN,1.10,NULL,-0.000001,123456789012345678901234567890,Infinity,-Infinity}', '{1.00,NULL}', '{"","NULL",NULL,"a,b","q\\"x","back\\\\slash","😀"}', '{"abc",NULL}', '{"a",NULL,"xyz"}', '{"\\\\x00",NULL,"\\\\x"}',
  '{infinity,-infinity,NULL,2000-01-01,0044-03-15 BC,5874897-12-31,4714-11-24 BC}', '{00:00:00,NULL,24:00:00}', '{12:00:00+05:30,NULL,12:00:00-03:00}', '{infinity,NULL,"1999-12-31 23:59:59.999999"}', '{-infinity,NULL,"0001-01-01 00:00:00+00 BC"}', '{"1 mon -2 days 00:00:00.000001",NULL}',
  '{00000000-0000-0000-0000-000000000001,NULL}', '{"{\\"a\\":1}",NULL,"[]"}', '{"{}",NULL}', '{192.168.0.1/24,NULL,::ffff:1.2.3.4,::1}', '{10.0.0.0/8,NULL}', '{sad,NULL,"it''s \\"quoted\\""}',
  'a fat:2 cat', '[1,5)', '(1.5,-2.25)', '1010', '<a b="c">x</a>', '{"[1,2)",NULL}', '{[1,3),[5,7)}'
);
INSERT INTO torture VALUES (
  4, true, 0, 0, 0, -0.0, 1.7976931348623157e308,
  '-0.000', 0.00, '0',
  ' leading and trailing ', 'x', 'abcde', 'n',
  '\\x5c30',
  '0001-01-01 BC', '12:00:00', '00:00:00.001', '12:00:00+00', '2000-01-01 00:00:00', '1970-01-01 00:00:00', '1999-12-31 23:59:59.999999+00',
  '-1 mons +1 days -00:00:00.000001', '123e4567-e89b-12d3-a456-426614174000', '[1,2,3]', '[]',
  '10.1.2.3', '10.1.0.0/16',
  'happy', 'C',
  '{false}', '{0}', '{0,1,2}', '{-1}', '{1.17549435e-38}', '{4.9e-324}',
  '{0,-0,0.0}', '{0.00}', '{" "}', '{""}', '{"   "}', '{"\\\\x0a"}',
  '{2000-01-01}', '{00:00:00.000001}', '{00:00:00+00}', '{"2000-01-01 00:00:00"}', '{"1970-01-01 00:00:00+00"}', '{"0 seconds"}',
  '{123e4567-e89b-12d3-a456-426614174000}', '{"null"}', '{"null"}', '{fe80::1:0:0:2}', '{::/0}', '{happy}',
  '', '(,)', '(0,-0)', '0', '<e/>', '{}', '{}'
);
`;

/** Rows in id order, each as PG's own text form of the whole row. */
export async function rowsAsText(client: pg.Client, qualified: string): Promise<string[]> {
  const r = await client.query<{ t: string }>(`SELECT t::text AS t FROM ${qualified} AS t ORDER BY id`);
  return r.rows.map((x) => x.t);
}

/** Column name → format_type, in column order. */
export async function columnTypes(client: pg.Client, qualified: string): Promise<Array<[string, string]>> {
  const r = await client.query<{ attname: string; ft: string }>(
    `SELECT attname, format_type(atttypid, atttypmod) AS ft FROM pg_attribute
      WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    [qualified],
  );
  return r.rows.map((x) => [x.attname, x.ft]);
}
