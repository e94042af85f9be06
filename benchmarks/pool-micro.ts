/**
 * Micro-benchmark of the transform worker pool: rows/s of a batch's round trip (packed on the calling
 * thread, its buffers copied once → moved to a Piscina worker → transform → packed → moved back),
 * per batch size, with the same ordered in-flight window the coordinator uses. In-memory batches shaped
 * like the issue-5 mixed table (bigint, int, short and ~100-char text, numeric as text, float8, bool,
 * timestamptz, date, jsonb as text, uuid; ~10% NULLs), so no database is needed.
 * Prints one JSON line. Usage: npx tsx benchmarks/pool-micro.ts [--rows 1048576] [--reps 3] [--threads N] [--in-flight 3]
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { Bool, DateDay, Field, FixedSizeBinary, Float64, Int32, Int64, makeData, RecordBatch, Schema, Struct, TimestampMicrosecond, Utf8, type Data } from 'apache-arrow';
import { FIELD_META_PG_TYPE } from '../src/core/data-ports.js';
import { TransformPool, type PreparedTransform } from '../src/engine/runtime/transform-pool.js';
import { packBatch, unpackBatch } from '../src/engine/transforms/batch-transfer.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: String(1 << 20) },
    reps: { type: 'string', default: '3' },
    threads: { type: 'string', default: String(availableParallelism()) },
    'in-flight': { type: 'string', default: '3' },
  },
});
const totalRows = Number(values.rows);
const reps = Number(values.reps);
const threads = Number(values.threads);
const inFlight = Number(values['in-flight']);
const SIZES = [1024, 8192, 65536];

function validity(n: number, skip: number): Uint8Array {
  const bits = new Uint8Array(((n + 63) & ~63) >> 3);
  for (let i = 0; i < n; i++) if (i % 10 !== skip) bits[i >> 3]! |= 1 << (i & 7);
  return bits;
}

function utf8(n: number, skip: number, text: (i: number) => string): { valueOffsets: Int32Array; data: Uint8Array } {
  const parts = Array.from({ length: n }, (_, i) => (i % 10 === skip ? '' : text(i)));
  const data = Buffer.from(parts.join(''));
  const valueOffsets = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) valueOffsets[i + 1] = valueOffsets[i]! + Buffer.byteLength(parts[i]!);
  return { valueOffsets, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

function mixedBatch(n: number): RecordBatch {
  const hex = (i: number) => ((i * 2654435761) >>> 0).toString(16).padStart(8, '0');
  const cols: [string, string, Data][] = [];
  const add = (name: string, pg: string, type: never, skip: number, props: Record<string, unknown>) =>
    cols.push([name, pg, makeData({ type, length: n, nullCount: skip < 0 ? 0 : Math.ceil((n - skip) / 10), nullBitmap: skip < 0 ? undefined : validity(n, skip), ...props } as never)]);
  add('id', 'bigint', new Int64() as never, -1, { data: BigInt64Array.from({ length: n }, (_, i) => BigInt(i + 1)) });
  add('qty', 'integer', new Int32() as never, 1, { data: Int32Array.from({ length: n }, (_, i) => (i * 7919) % 100000) });
  add('code', 'text', new Utf8() as never, 2, utf8(n, 2, hex));
  add('note', 'text', new Utf8() as never, 3, utf8(n, 3, (i) => `${hex(i).repeat(12)} ${i}`));
  add('amount', 'numeric(12,2)', new Utf8() as never, 4, utf8(n, 4, (i) => (((i * 104729) % 100000000) / 100).toFixed(2)));
  add('ratio', 'double precision', new Float64() as never, 5, { data: Float64Array.from({ length: n }, (_, i) => (i % 9973) / 7) });
  const active = new Uint8Array(((n + 63) & ~63) >> 3);
  for (let i = 0; i < n; i++) if (i % 3 === 0) active[i >> 3]! |= 1 << (i & 7);
  add('active', 'boolean', new Bool() as never, 6, { data: active });
  add('created_at', 'timestamp with time zone', new TimestampMicrosecond('UTC') as never, 7, {
    data: BigInt64Array.from({ length: n }, (_, i) => 1577836800000000n + BigInt(i) * 17000000n),
  });
  add('day', 'date', new DateDay() as never, 8, { data: Int32Array.from({ length: n }, (_, i) => 10957 + (i % 9000)) });
  add('attrs', 'jsonb', new Utf8() as never, 9, utf8(n, 9, (i) => `{"k": ${i % 100}, "ok": ${i % 2 === 0}, "tag": "${hex(i).slice(0, 6)}"}`));
  const ref = new Uint8Array(n * 16);
  for (let i = 0; i < ref.length; i++) ref[i] = (i * 31) & 255;
  add('ref', 'uuid', new FixedSizeBinary(16) as never, 0, { data: ref });
  const fields = cols.map(([name, pg, d]) => new Field(name, d.type, true, new Map([[FIELD_META_PG_TYPE, pg]])));
  return new RecordBatch(new Schema(fields), makeData({ type: new Struct(fields), length: n, nullCount: 0, children: cols.map((c) => c[2]) }));
}

/** Runs `batches` batches through `t` with an ordered window of `window` tasks, as the transform actor does. */
async function pump(t: PreparedTransform, batch: RecordBatch, batches: number, window: number): Promise<number> {
  const pending: Promise<{ kept: RecordBatch | null }>[] = [];
  let out = 0;
  for (let i = 0; i < batches; i++) {
    pending.push(t.run(batch));
    if (pending.length >= window) out += (await pending.shift()!).kept?.numRows ?? 0;
  }
  while (pending.length > 0) out += (await pending.shift()!).kept?.numRows ?? 0;
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function rate(work: () => Promise<unknown> | unknown, rows: number): Promise<number> {
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint();
    await work();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return Math.round(rows / median(times));
}

const pool = new TransformPool({ mode: 'threads', threads, inlineMaxRows: 0, maxInFlightPerNode: inFlight });
const inline = new TransformPool({ mode: 'inline' });
const now = new Date();
const chain = { rename_columns: { code: 'code_renamed' }, filter_query: 'qty is not null and ratio >= 0' };
// noop is metadata-only and never leaves the calling thread; a filter keeping every row is the pool's pure round trip.
const noopPool = pool.prepare({ nodeId: 'noop', transform: 'filter', config: { condition: 'true' } }, now);
const filterPool = pool.prepare({ nodeId: 'chain', transform: 'pandas_transform', config: chain }, now);
const filterInline = inline.prepare({ nodeId: 'chain', transform: 'pandas_transform', config: chain }, now);

// Warm the threads (start-up and JIT) outside the timed part.
await pump(filterPool, mixedBatch(8192), threads * 8, inFlight);

const results = [];
for (const size of SIZES) {
  const batch = mixedBatch(size);
  const batches = Math.max(1, Math.round(totalRows / size));
  const rows = batches * size;
  const packedBytes = packBatch(batch).buffers.reduce((n, b) => n + b.byteLength, 0);
  results.push({
    batch_rows: size,
    batch_packed_bytes: packedBytes,
    pack_copy_round_trip_main_thread_rows_per_s: await rate(() => {
      for (let i = 0; i < batches; i++) unpackBatch(packBatch(batch));
    }, rows),
    pool_noop_rows_per_s: await rate(() => pump(noopPool, batch, batches, inFlight), rows),
    pool_filter_rename_rows_per_s: await rate(() => pump(filterPool, batch, batches, inFlight), rows),
    inline_filter_rename_rows_per_s: await rate(() => pump(filterInline, batch, batches, 1), rows),
  });
}
await pool.close();

console.log(
  JSON.stringify({
    bench: 'pool-micro',
    node: process.version,
    cores: availableParallelism(),
    threads,
    in_flight: inFlight,
    rows_per_case: totalRows,
    reps,
    results,
  }),
);
