/**
 * Micro-benchmark of the Postgres binary COPY ⇄ Arrow codec, without the network in the timed part:
 * the mixed-type table of issue 5 is COPYed out once into memory (chunks as pg-copy-streams hands
 * them over), then decoded to Arrow batches and re-encoded to COPY bytes `--reps` times.
 * Prints one JSON line. Usage: npx tsx benchmarks/codec-micro.ts [--rows 200000] [--reps 5] [--batch-rows 65536]
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Schema } from 'apache-arrow';
import type { RecordBatch } from 'apache-arrow';
import pg from 'pg';
import pgCopy from 'pg-copy-streams';
import { readTable } from '../src/connectors/postgres/catalog.js';
import { CopyDecoder } from '../src/connectors/postgres/copy-decoder.js';
import { CopyEncoder } from '../src/connectors/postgres/copy-encoder.js';
import { arrowFieldFor, codecForColumn } from '../src/connectors/postgres/type-map.js';
import { createMixedTable } from './lib/mixed-table.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '200000' },
    reps: { type: 'string', default: '5' },
    'batch-rows': { type: 'string', default: '65536' },
    url: { type: 'string', default: process.env.BENCH_PG_URL ?? 'postgresql://root@127.0.0.1:5432/postgres' },
  },
});
const rows = Number(values.rows);
const reps = Number(values.reps);
const batchRows = Number(values['batch-rows']);

function urlFor(db: string): string {
  const u = new URL(values.url!);
  u.pathname = `/${db}`;
  return u.toString();
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const dbName = `synqx_bench_codec_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: values.url });
await admin.connect();
await admin.query(`CREATE DATABASE "${dbName}"`);
try {
  const url = urlFor(dbName);
  await createMixedTable(url, 'public', 'mixed', rows);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  let chunks: Buffer[];
  let schema: Schema;
  let codecs: ReturnType<typeof codecForColumn>[];
  try {
    const info = (await readTable(client, 'public', 'mixed'))!;
    codecs = info.columns.map(codecForColumn);
    schema = new Schema(info.columns.map((c, i) => arrowFieldFor(c, codecs[i]!)));
    chunks = [];
    for await (const chunk of client.query(pgCopy.to('COPY public.mixed TO STDOUT (FORMAT binary)'))) chunks.push(chunk as Buffer);
  } finally {
    await client.end();
  }
  const copyBytes = chunks.reduce((n, c) => n + c.length, 0);

  const decodeTimes: number[] = [];
  let batches: RecordBatch[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint();
    const decoder = new CopyDecoder(schema, codecs, { batchRows });
    const out: RecordBatch[] = [];
    for (const c of chunks) for (const b of decoder.push(c)) out.push(b);
    for (const b of decoder.finish()) out.push(b);
    decodeTimes.push(Number(process.hrtime.bigint() - t0) / 1e9);
    batches = out;
  }

  const encodeColumns = codecs.map((c, index) => ({ name: c.name, index, kind: c.kind, elemKind: c.elemKind, elemOid: c.elemOid }));
  const encodeTimes: number[] = [];
  let encodedBytes = 0;
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint();
    const encoder = new CopyEncoder(encodeColumns);
    let n = encoder.header().length;
    for (const b of batches) n += encoder.encode(b, () => {});
    n += encoder.trailer().length;
    encodeTimes.push(Number(process.hrtime.bigint() - t0) / 1e9);
    encodedBytes = n;
  }

  const d = median(decodeTimes);
  const e = median(encodeTimes);
  console.log(
    JSON.stringify({
      bench: 'codec-micro',
      rows,
      batch_rows: batchRows,
      reps,
      copy_bytes: copyBytes,
      batches: batches.length,
      decode_s: Number(d.toFixed(4)),
      decode_rows_per_s: Math.round(rows / d),
      decode_mb_per_s: Number((copyBytes / 1e6 / d).toFixed(1)),
      encode_s: Number(e.toFixed(4)),
      encode_rows_per_s: Math.round(rows / e),
      encode_mb_per_s: Number((encodedBytes / 1e6 / e).toFixed(1)),
      encoded_bytes_match: encodedBytes === copyBytes,
      node: process.version,
    }),
  );
} finally {
  await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  await admin.end();
}
