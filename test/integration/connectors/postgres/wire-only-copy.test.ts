import test from 'ava';
import { isSynqxError } from '../../../../src/core/errors.js';
import { PostgresSink } from '../../../../src/connectors/postgres/sink.js';
import { PostgresSource } from '../../../../src/connectors/postgres/source.js';
import { runGraph } from '../../../../src/engine/runtime/coordinator.js';
import type { RuntimeGraph } from '../../../../src/engine/runtime/runtime-graph.js';
import { MemorySink } from '../../../helpers/memory-ports.js';
import { createTestDatabase, withClient } from '../../../helpers/pg.js';
import type { TestDatabase } from '../../../helpers/pg.js';
import { TORTURE_SETUP, columnTypes, rowsAsText } from './torture-table.js';

// A straight copy (source → sinks only) lets the source skip decoding values: the coordinator asks
// every consumer whether it can write the source's wire bytes as they are. These tests check that the
// shortcut is taken exactly when it is safe, and that the destination is identical either way.

let src: TestDatabase;
let dst: TestDatabase;

test.before(async () => {
  src = await createTestDatabase('synqx_wire_src');
  dst = await createTestDatabase('synqx_wire_dst');
  await withClient(src.url, async (c) => {
    await c.query(TORTURE_SETUP);
    // Enough rows for several batches, NULLs included.
    await c.query(`INSERT INTO torture (id, i4, t, n12, tstz, jb)
      SELECT g, CASE WHEN g % 7 = 0 THEN NULL ELSE g END, repeat('x', g % 50), g / 3.0, now(), jsonb_build_object('g', g)
        FROM generate_series(10, 2009) g`);
  });
});

test.after.always(async () => {
  await src?.drop();
  await dst?.drop();
});

const NATIVE = async () =>
  (await withClient(src.url, (c) => columnTypes(c, 'torture'))).map(([name]) => name).filter((n) => n !== 'a_m' && !n.startsWith('x_'));

function source(columns?: string[]) {
  return new PostgresSource({ connectionString: src.url }, { table: 'public.torture', batch_rows: 300, keep_raw_copy: true, ...(columns ? { columns } : {}) });
}

async function sameRows(t: import('ava').ExecutionContext, target: string, columns: string[]) {
  const select = `(SELECT ${columns.map((c) => `"${c}"`).join(', ')} FROM torture)`;
  const expected = await withClient(src.url, (c) => rowsAsText(c, select));
  const actual = await withClient(dst.url, (c) => rowsAsText(c, target));
  t.is(actual.length, expected.length);
  t.deepEqual(actual, expected);
}

/** read → write, nothing between: the shape in which the wire format may be passed through. */
function straightCopy(source: PostgresSource, sink: PostgresSink): RuntimeGraph {
  return {
    nodes: [
      { id: 'read', kind: 'source', order: 1, inputs: [], outputs: ['write'], source },
      { id: 'write', kind: 'sink', order: 2, inputs: ['read'], outputs: [], sink },
    ],
  };
}

test.serial('a straight copy of natively typed columns skips decoding and lands identical rows', async (t) => {
  const columns = await NATIVE();
  const s = source(columns);
  const sink = new PostgresSink({ connectionString: dst.url }, { table: 'public.wire_a', write_mode: 'append' });
  const result = await runGraph(straightCopy(s, sink));
  t.is(result.status, 'completed', result.error?.message);
  t.true(s.decodingSkipped);
  t.is(sink.batchCounts().encoded, 0);
  t.true(sink.batchCounts().passedThrough >= 7);
  t.is(result.totals.total_loaded, 2004, 'the 4 torture rows and 2,000 generated ones');
  await sameRows(t, 'public.wire_a', columns);
});

test.serial('a column the destination cannot take as wire bytes (enum array oids) keeps decoding', async (t) => {
  const s = source();
  const sink = new PostgresSink({ connectionString: dst.url }, { table: 'public.wire_b', write_mode: 'append' });
  const result = await runGraph(straightCopy(s, sink));
  t.is(result.status, 'completed', result.error?.message);
  t.false(s.decodingSkipped);
  t.true(sink.batchCounts().encoded > 0);
  const all = (await withClient(src.url, (c) => columnTypes(c, 'torture'))).map(([n]) => n);
  await sameRows(t, 'public.wire_b', all);
});

test.serial('a source that also feeds a transform (or any non-Postgres sink) keeps decoding', async (t) => {
  const columns = await NATIVE();
  const s = source(columns);
  const sink = new PostgresSink({ connectionString: dst.url }, { table: 'public.wire_c', write_mode: 'append' });
  const memory = new MemorySink();
  const graph: RuntimeGraph = {
    nodes: [
      { id: 'read', kind: 'source', order: 1, inputs: [], outputs: ['write', 'keep'], source: s },
      { id: 'write', kind: 'sink', order: 2, inputs: ['read'], outputs: [], sink },
      { id: 'keep', kind: 'transform', order: 3, inputs: ['read'], outputs: ['mem'], transform: 'filter', config: { condition: 'i4 > 100' } },
      { id: 'mem', kind: 'sink', order: 4, inputs: ['keep'], outputs: [], sink: memory },
    ],
  };
  const result = await runGraph(graph);
  t.is(result.status, 'completed', result.error?.message);
  t.false(s.decodingSkipped);
  await sameRows(t, 'public.wire_c', columns);
  const expectedKept = await withClient(src.url, (c) => c.query<{ n: string }>('SELECT count(*) AS n FROM torture WHERE i4 > 100'));
  t.is(memory.rows, Number(expectedKept.rows[0]!.n), 'the filter saw real values, not placeholders');
});

test.serial('an undecoded batch is refused by a load that would have to encode it', async (t) => {
  const columns = await NATIVE();
  const s = source(columns);
  const signal = new AbortController().signal;
  const schema = await s.open(signal);
  // A destination with a different type for i4 (int8): its wire format differs, so it must refuse.
  const ddl = await withClient(src.url, (c) => columnTypes(c, 'torture'));
  const wide = ddl.filter(([n]) => columns.includes(n)).map(([n, type]) => `"${n}" ${n === 'i4' ? 'int8' : type}`);
  await withClient(dst.url, (c) => c.query(`DROP TABLE IF EXISTS public.wire_e; CREATE TABLE public.wire_e (${wide.join(', ')})`));
  const mismatched = new PostgresSink({ connectionString: dst.url }, { table: 'public.wire_e', write_mode: 'append' });
  await mismatched.open(schema, signal);
  try {
    t.false(mismatched.acceptsWireOnly(s.wireFormat()));
    s.skipDecoding(); // as if a buggy coordinator ignored the answer
    const it = s.batches()[Symbol.asyncIterator]();
    const first = (await it.next()).value!;
    t.is(first.getChild('id')!.get(0), null, 'undecoded batches hold placeholder NULLs');
    const err = await t.throwsAsync(() => mismatched.write(first));
    t.true(isSynqxError(err) && err.code === 'INTERNAL', String(err));
    await it.return?.(undefined);
  } finally {
    await mismatched.abort(new Error('test over'));
    await s.close();
  }
  const left = await withClient(dst.url, (c) => c.query<{ n: string }>('SELECT count(*) AS n FROM public.wire_e'));
  t.is(left.rows[0]!.n, '0');
});
