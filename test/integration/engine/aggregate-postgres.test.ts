import test from 'ava';
import { Float64, Int32, Int64, Utf8 } from 'apache-arrow';
import { FIELD_META_PG_TYPE } from '../../../src/core/data-ports.js';
import { col, makeBatch } from '../../helpers/arrow-batches.js';
import { createTestDatabase, withClient, type TestDatabase } from '../../helpers/pg.js';
import { createOperator, drive, rowsOfAll, slices } from '../../helpers/stream-driver.js';

// The aggregate transform against Postgres itself: the same rows in a table and in Arrow batches, the
// same GROUP BY, results compared group by group (NULL groups, NULL values, int64 sums past 2^53).

const N = 5000;
let db: TestDatabase;

/** A small deterministic generator, so a failure reproduces. */
function lcg(seed: number) {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

const rnd = lcg(42);
const pick = <T>(values: T[]) => values[Math.floor(rnd() * values.length)]!;
const data = {
  g1: Array.from({ length: N }, () => pick(['DE', 'FR', 'it', 'Zz', null])),
  g2: Array.from({ length: N }, () => pick([1, 2, 3, null])),
  i4: Array.from({ length: N }, () => (rnd() < 0.1 ? null : Math.floor(rnd() * 2 ** 31) * (rnd() < 0.5 ? -1 : 1))),
  i8: Array.from({ length: N }, () => (rnd() < 0.1 ? null : BigInt(Math.floor(rnd() * 2 ** 50)))),
  f8: Array.from({ length: N }, () => (rnd() < 0.1 ? null : (rnd() - 0.3) * 1000)),
  t: Array.from({ length: N }, () => (rnd() < 0.1 ? null : pick(['apple', 'Banana', 'cherry', 'Äpfel', 'zeta', '']))),
  // PG numeric of mixed scales and magnitudes, as Postgres prints each (it keeps a value's own scale).
  num: Array.from({ length: N }, () => (rnd() < 0.1 ? null : decimal(rnd))),
};

function decimal(r: () => number): string {
  const scale = Math.floor(r() * 5);
  const digits = Math.floor(r() * 10 ** Math.floor(r() * 13));
  const sign = r() < 0.3 && digits > 0 ? '-' : '';
  const text = String(digits).padStart(scale + 1, '0');
  return scale === 0 ? `${sign}${text}` : `${sign}${text.slice(0, -scale)}.${text.slice(-scale)}`;
}

test.before(async () => {
  db = await createTestDatabase('synqx_agg');
  await withClient(db.url, async (c) => {
    await c.query('CREATE TABLE t (g1 text, g2 int, i4 int, i8 bigint, f8 float8, t text, num numeric)');
    await c.query('INSERT INTO t SELECT * FROM unnest($1::text[], $2::int[], $3::int[], $4::bigint[], $5::float8[], $6::text[], $7::numeric[])', [
      data.g1,
      data.g2,
      data.i4,
      data.i8.map((v) => (v === null ? null : String(v))),
      data.f8,
      data.t,
      data.num,
    ]);
    // Check that Postgres prints every value as we wrote it, so both sides sum the same numbers.
    const back = await c.query<{ num: string | null }>('SELECT num::text AS num FROM t');
    if (back.rows.some((r, i) => r.num !== data.num[i])) throw new Error('numeric text did not round-trip');
  });
});
test.after.always(async () => db?.drop());

const batch = () =>
  makeBatch({
    g1: col(new Utf8(), data.g1),
    g2: col(new Int32(), data.g2),
    i4: col(new Int32(), data.i4),
    i8: col(new Int64(), data.i8),
    f8: col(new Float64(), data.f8),
    t: col(new Utf8(), data.t),
    num: col(new Utf8(), data.num, { [FIELD_META_PG_TYPE]: 'numeric' }),
  });

const aggregates = [
  { fn: 'count', as: 'n' },
  { fn: 'count', column: 'i4', as: 'n_i4' },
  { fn: 'sum', column: 'i4', as: 'sum_i4' },
  { fn: 'sum', column: 'i8', as: 'sum_i8' },
  { fn: 'sum', column: 'f8', as: 'sum_f8' },
  { fn: 'avg', column: 'i4', as: 'avg_i4' },
  { fn: 'avg', column: 'f8', as: 'avg_f8' },
  { fn: 'min', column: 'i4', as: 'min_i4' },
  { fn: 'max', column: 'i8', as: 'max_i8' },
  { fn: 'min', column: 't', as: 'min_t' },
  { fn: 'max', column: 't', as: 'max_t' },
  { fn: 'max', column: 'f8', as: 'max_f8' },
  { fn: 'sum', column: 'num', as: 'sum_num' },
  { fn: 'avg', column: 'num', as: 'avg_num' },
];

// Exact columns come back as text; float ones as float8. Text order is binary, so COLLATE "C".
const SELECT = `count(*)::text AS n, count(i4)::text AS n_i4, sum(i4)::text AS sum_i4, sum(i8)::text AS sum_i8, sum(f8) AS sum_f8,
  avg(i4)::float8 AS avg_i4, avg(f8) AS avg_f8, min(i4) AS min_i4, max(i8)::text AS max_i8,
  min(t COLLATE "C") AS min_t, max(t COLLATE "C") AS max_t, max(f8) AS max_f8, sum(num)::text AS sum_num, avg(num)::text AS avg_num`;

function normalize(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) out[k] = typeof v === 'bigint' ? String(v) : v;
  return out;
}

function close(t: any, got: unknown, want: unknown, what: string) {
  if (typeof want === 'number' && typeof got === 'number') t.true(Math.abs(got - want) <= 1e-9 * Math.max(1, Math.abs(want)), `${what}: ${got} vs ${want}`);
  else t.is(got, want, what);
}

for (const groupBy of [['g1', 'g2'], ['g1'], []]) {
  test(`aggregate matches Postgres GROUP BY (${groupBy.join(', ') || 'no group_by'})`, async (t) => {
    const out = drive(createOperator('aggregate', { group_by: groupBy, aggregates }), [batch().schema], [slices(batch(), 777)]);
    const ours = rowsOfAll(out.batches).map(normalize);
    const cols = groupBy.map((g) => `${g}, `).join('');
    const pg = await withClient(db.url, (c) => c.query(`SELECT ${cols}${SELECT} FROM t ${groupBy.length ? `GROUP BY ${groupBy.join(', ')}` : ''}`));
    t.is(ours.length, pg.rows.length);
    const key = (r: Record<string, unknown>) => JSON.stringify(groupBy.map((g) => r[g]));
    const theirs = new Map(pg.rows.map((r) => [key(r), r]));
    t.true(ours.length >= (groupBy.length === 2 ? 20 : 1));
    for (const row of ours) {
      const want = theirs.get(key(row));
      t.truthy(want, `group ${key(row)} exists in Postgres`);
      for (const [k, v] of Object.entries(want ?? {})) close(t, row[k], v, `${key(row)}.${k}`);
    }
  });
}

test('sum and avg of a PG numeric are exact, with the scale Postgres gives (small, large, negative, special values)', async (t) => {
  const groups: Record<string, string[]> = {
    tiny: ['0.0001', '0.0002', '0.00005'],
    big: ['12345678.9', '1', '99999999999999999999.5'],
    mixed: ['1.50', '2', '-3.125'],
    third: ['1', '1', '2'],
    neg: ['-0.5', '-0.25'],
    zero: ['0', '0.000'],
    inf: ['1', 'Infinity'],
    nan: ['NaN', '2.5'],
  };
  const rows = Object.entries(groups).flatMap(([g, values]) => values.map((v) => [g, v] as const));
  const b = makeBatch({ g: col(new Utf8(), rows.map((r) => r[0])), v: col(new Utf8(), rows.map((r) => r[1]), { [FIELD_META_PG_TYPE]: 'numeric(30,6)' }) });
  const out = drive(createOperator('aggregate', { group_by: ['g'], aggregates: [{ fn: 'sum', column: 'v', as: 's' }, { fn: 'avg', column: 'v', as: 'a' }] }), [b.schema], [slices(b, 5)]);
  const ours = new Map(rowsOfAll(out.batches).map((r) => [r.g, [r.s, r.a]]));
  const pg = await withClient(db.url, (c) =>
    c.query<{ g: string; s: string; a: string }>(
      'SELECT g, sum(v::numeric)::text AS s, avg(v::numeric)::text AS a FROM unnest($1::text[], $2::text[]) AS x(g, v) GROUP BY g',
      [rows.map((r) => r[0]), rows.map((r) => r[1])],
    ),
  );
  t.is(pg.rows.length, Object.keys(groups).length);
  for (const r of pg.rows) t.deepEqual(ours.get(r.g), [r.s, r.a], r.g);
  t.is(out.schema.fields.find((f) => f.name === 's')!.metadata.get(FIELD_META_PG_TYPE), 'numeric');
});
