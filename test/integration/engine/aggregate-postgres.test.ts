import test from 'ava';
import { Float64, Int32, Int64, Utf8 } from 'apache-arrow';
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
};

test.before(async () => {
  db = await createTestDatabase('synqx_agg');
  await withClient(db.url, async (c) => {
    await c.query('CREATE TABLE t (g1 text, g2 int, i4 int, i8 bigint, f8 float8, t text)');
    await c.query('INSERT INTO t SELECT * FROM unnest($1::text[], $2::int[], $3::int[], $4::bigint[], $5::float8[], $6::text[])', [
      data.g1,
      data.g2,
      data.i4,
      data.i8.map((v) => (v === null ? null : String(v))),
      data.f8,
      data.t,
    ]);
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
];

// Exact columns come back as text; float ones as float8. Text order is binary, so COLLATE "C".
const SELECT = `count(*)::text AS n, count(i4)::text AS n_i4, sum(i4)::text AS sum_i4, sum(i8)::text AS sum_i8, sum(f8) AS sum_f8,
  avg(i4)::float8 AS avg_i4, avg(f8) AS avg_f8, min(i4) AS min_i4, max(i8)::text AS max_i8,
  min(t COLLATE "C") AS min_t, max(t COLLATE "C") AS max_t, max(f8) AS max_f8`;

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
