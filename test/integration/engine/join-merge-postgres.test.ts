import test from 'ava';
import { Bool, Int32, Utf8, type RecordBatch } from 'apache-arrow';
import { joinDefinition } from '../../../src/engine/transforms/join.js';
import { mergeDefinition } from '../../../src/engine/transforms/merge.js';
import { col, makeBatch, rowsOf } from '../../helpers/arrow-batches.js';
import { createTestDatabase, withClient, type TestDatabase } from '../../helpers/pg.js';
import { driveSequential as drive } from '../../helpers/drive-sequential.js';
import { seededRandom } from '../../helpers/seeded-random.js';

// The join and merge operators against Postgres on the same data: ~2,000 rows a side, NULL keys,
// many duplicate keys, NULLs in value columns, fed to the operators in many batches.

const ctx = { now: new Date('2024-01-01T00:00:00Z'), nodeId: 'pg' };
let db: TestDatabase;

type Row = { k: number | null; s: string | null; v: number | null; note: string | null };


function rows(seed: number, n: number): Row[] {
  const rnd = seededRandom(seed);
  return Array.from({ length: n }, (_, i) => ({
    k: rnd() < 0.08 ? null : Math.floor(rnd() * 300),
    s: rnd() < 0.05 ? null : ['a', 'b'][Math.floor(rnd() * 2)]!,
    v: rnd() < 0.1 ? null : i,
    note: rnd() < 0.1 ? null : `n${seed}-${i}`,
  }));
}

function batches(data: readonly Row[], size: number, extra: Record<string, (r: Row, i: number) => unknown> = {}): RecordBatch[] {
  const out: RecordBatch[] = [];
  for (let i = 0; i < data.length; i += size) {
    const part = data.slice(i, i + size);
    const columns = {
      k: col(new Int32(), part.map((r) => r.k)),
      s: col(new Utf8(), part.map((r) => r.s)),
      v: col(new Int32(), part.map((r) => r.v)),
      note: col(new Utf8(), part.map((r) => r.note)),
      ...Object.fromEntries(Object.entries(extra).map(([name, f]) => [name, col(new Bool(), part.map((r, j) => f(r, i + j)))])),
    };
    out.push(makeBatch(columns));
  }
  return out;
}

const tuples = (list: readonly Record<string, unknown>[], names: readonly string[]) => list.map((r) => JSON.stringify(names.map((n) => r[n] ?? null))).sort();

const left = rows(3, 2000);
const right = rows(5, 2100);
const deltaRows = rows(9, 900);
const deleted = (_r: Row, i: number) => (i % 7 === 0 ? null : i % 5 === 0);

async function load(table: string, data: readonly Row[], withSeqAndDel = false): Promise<void> {
  await withClient(db.url, async (c) => {
    const extra = withSeqAndDel ? ', seq int, del boolean' : '';
    await c.query(`CREATE TABLE ${table} (k int, s text, v int, note text${extra})`);
    const params: unknown[] = [data.map((r) => r.k), data.map((r) => r.s), data.map((r) => r.v), data.map((r) => r.note)];
    if (withSeqAndDel) params.push(data.map((_r, i) => i), data.map((r, i) => deleted(r, i)));
    const types = ['int[]', 'text[]', 'int[]', 'text[]', 'int[]', 'boolean[]'].slice(0, params.length);
    await c.query(`INSERT INTO ${table} SELECT * FROM unnest(${types.map((t, i) => `$${i + 1}::${t}`).join(', ')})`, params);
  });
}

test.before(async () => {
  db = await createTestDatabase('synqx_join');
  await load('l', left);
  await load('r', right);
  await load('d', deltaRows, true);
});

test.after.always(async () => {
  await db?.drop();
});

const query = (sql: string) => withClient(db.url, async (c) => (await c.query(sql)).rows as Record<string, unknown>[]);

for (const type of ['inner', 'left', 'right', 'full'] as const) {
  test(`join ${type} (keys, like USING) matches Postgres, for either build side`, async (t) => {
    const names = ['k', 's', 'v', 'note', 'v_right', 'note_right'];
    const expected = await query(
      `SELECT k, s, l.v, l.note, r.v AS v_right, r.note AS note_right FROM l ${type.toUpperCase()} JOIN r USING (k, s)`,
    );
    t.true(expected.length > 4000, `the data joins many rows (${expected.length})`);
    for (const build of ['left', 'right']) {
      const out = drive(joinDefinition.create({ type, keys: ['k', 's'], build }, ctx), [batches(left, 150), batches(right, 97)]);
      const got = out.flatMap((b) => rowsOf(b));
      t.deepEqual(out[0]!.schema.fields.map((f) => f.name), names);
      t.is(got.length, expected.length, `build ${build}`);
      t.deepEqual(tuples(got, names), tuples(expected, names), `build ${build}`);
    }
  });

  test(`join ${type} (on, every column kept) matches Postgres`, async (t) => {
    const names = ['k', 's', 'v', 'note', 'k_right', 's_right', 'v_right', 'note_right'];
    const expected = await query(
      `SELECT l.k, l.s, l.v, l.note, r.k AS k_right, r.s AS s_right, r.v AS v_right, r.note AS note_right
         FROM l ${type.toUpperCase()} JOIN r ON l.k = r.k AND l.s = r.s`,
    );
    const on = [
      { left: 'k', right: 'k' },
      { left: 's', right: 's' },
    ];
    const out = drive(joinDefinition.create({ type, on }, ctx), [batches(left, 200), batches(right, 300)]);
    t.deepEqual(tuples(out.flatMap((b) => rowsOf(b)), names), tuples(expected, names));
  });
}

test('merge matches Postgres: primary rows whose key the delta lacks, plus the last non-deleted delta row per key', async (t) => {
  const names = ['k', 's', 'v', 'note'];
  const expected = await query(`
    WITH last AS (
      SELECT DISTINCT ON (k, s) k, s, v, note, del FROM d WHERE k IS NOT NULL AND s IS NOT NULL ORDER BY k, s, seq DESC
    )
    SELECT k, s, v, note FROM l WHERE NOT EXISTS (SELECT 1 FROM last WHERE last.k = l.k AND last.s = l.s)
    UNION ALL SELECT k, s, v, note FROM last WHERE del IS NOT TRUE
    UNION ALL SELECT k, s, v, note FROM d WHERE (k IS NULL OR s IS NULL) AND del IS NOT TRUE`);
  const replacedOrDeleted = await query(`SELECT count(*)::int AS n FROM l WHERE EXISTS (SELECT 1 FROM d WHERE d.k = l.k AND d.s = l.s)`);
  t.true((replacedOrDeleted[0]!.n as number) > 400, 'the delta touches many primary rows');

  const op = mergeDefinition.create({ keys: ['k', 's'], delete_column: 'del' }, ctx);
  const out = drive(op, [batches(left, 128), batches(deltaRows, 64, { del: deleted })]);
  const got = out.flatMap((b) => rowsOf(b));
  t.deepEqual(out[0]!.schema.fields.map((f) => f.name), names);
  t.is(got.length, expected.length);
  t.deepEqual(tuples(got, names), tuples(expected, names));
});
