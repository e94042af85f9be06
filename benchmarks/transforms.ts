/**
 * Issue 6's figures: throughput of single transforms on the benchmark table, as fractions of the
 * pass-through copy (`synqx run` of extract → load), each run as its own `synqx run` process, alternating,
 * every destination checked against the same query run in Postgres on the source.
 *
 *   npm run build && node --import tsx benchmarks/transforms.ts --rows 1000000 --reps 2
 *
 * Cases: copy (extract → load, the baseline), filter (`id % 10 <> 3`), derive (`qty2 = qty * 2`,
 * `code_u = upper(code)`), join (left hash join with a 50,000-row dimension table on qty = k, the
 * dimension as the in-memory build side). Reuses the source database of copy-vs-raw.ts when it holds a
 * table of the right size (`--reuse`).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { binaryCopyBytes, checkpoint, databaseUrl, onServer } from './lib/pg-util.js';
import { formatTable, runCases, type BenchCase } from './lib/bench-runner.js';
import { checksumOf, createMixedTable, type TableChecksum } from './lib/mixed-table.js';
import { runSynqx } from './lib/synqx-cli.js';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    reps: { type: 'string', default: '2' },
    'pg-url': { type: 'string', default: process.env.BENCH_PG_URL ?? 'postgresql://root@127.0.0.1:5432/postgres' },
    reuse: { type: 'boolean', default: false },
    'json-out': { type: 'string' },
  },
});
const rows = Number(args.rows);
const reps = Number(args.reps);
const log = (line: string) => process.stderr.write(`${line}\n`);
const SRC_DB = 'synqx_bench_src';
const DST_DB = 'synqx_bench_tdst';
const MIXED = 'bench.mixed';
const DIM = 'bench.dim';
const OUT = 'bench.t_out';

const dbUrl = (name: string) => databaseUrl(args['pg-url'], name);
const sql = onServer;

interface TransformCase {
  key: string;
  name: string;
  nodes: object[];
  edges?: [string, string][];
  expectedSql: string;
}

function cases(): TransformCase[] {
  const read = { id: 'read', type: 'extract', connection: 'src', table: MIXED };
  const write = { id: 'write', type: 'load', connection: 'dst', table: OUT };
  return [
    { key: 'copy', name: 'pass-through (extract → load)', nodes: [read, write], expectedSql: `SELECT * FROM ${MIXED}` },
    {
      key: 'filter',
      name: 'filter',
      nodes: [read, { id: 'f', type: 'transform', transform: 'filter', config: { condition: 'id % 10 <> 3' } }, write],
      expectedSql: `SELECT * FROM ${MIXED} WHERE id % 10 <> 3`,
    },
    {
      key: 'derive',
      name: 'derive',
      nodes: [read, { id: 'd', type: 'transform', transform: 'derive', config: { columns: { qty2: 'qty * 2', code_u: 'upper(code)' } } }, write],
      expectedSql: `SELECT *, qty * 2 AS qty2, upper(code) AS code_u FROM ${MIXED}`,
    },
    {
      key: 'join',
      name: 'join (left, 50k-row build side)',
      nodes: [
        read,
        { id: 'dim', type: 'extract', connection: 'src', table: DIM },
        { id: 'j', type: 'transform', transform: 'join', config: { type: 'left', on: [{ left: 'qty', right: 'k' }], build: 'right' } },
        write,
      ],
      edges: [
        ['read', 'j'],
        ['dim', 'j'],
        ['j', 'write'],
      ],
      expectedSql: `SELECT m.*, d.k, d.label FROM ${MIXED} m LEFT JOIN ${DIM} d ON m.qty = d.k`,
    },
  ];
}

async function main(): Promise<void> {
  const srcUrl = dbUrl(SRC_DB);
  const dstUrl = dbUrl(DST_DB);
  await sql(args['pg-url'], async (c) => {
    if (!args.reuse) await c.query(`DROP DATABASE IF EXISTS "${SRC_DB}" WITH (FORCE)`);
    await c.query(`DROP DATABASE IF EXISTS "${DST_DB}" WITH (FORCE)`);
    await c.query(`CREATE DATABASE "${DST_DB}"`);
    const { rowCount } = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [SRC_DB]);
    if (!rowCount) await c.query(`CREATE DATABASE "${SRC_DB}"`);
  });
  const have = await sql(srcUrl, async (c) => {
    const t = await c.query('SELECT to_regclass($1) AS t', [MIXED]);
    return t.rows[0].t ? Number((await c.query(`SELECT count(*) AS n FROM ${MIXED}`)).rows[0].n) : -1;
  });
  if (have !== rows) {
    log(`generating ${rows.toLocaleString('en-US')} rows …`);
    await createMixedTable(srcUrl, 'bench', 'mixed', rows);
  }
  await sql(srcUrl, (c) =>
    c.query(`DROP TABLE IF EXISTS ${DIM}; CREATE TABLE ${DIM} (k integer PRIMARY KEY, label text);
      INSERT INTO ${DIM} SELECT g, 'label-' || g FROM generate_series(0, 99998, 2) g; ANALYZE ${DIM}`),
  );
  const bytes = await binaryCopyBytes(srcUrl, MIXED);
  const tmp = mkdtempSync(join(tmpdir(), 'synqx-bench-transforms-'));
  const benchCases: BenchCase[] = [];
  for (const tc of cases()) {
    const expected: TableChecksum = await checksumOf(srcUrl, tc.expectedSql);
    const file = join(tmp, `${tc.key}.json`);
    const doc = {
      name: `bench-${tc.key}`,
      connections: { src: { dsn: srcUrl }, dst: { dsn: dstUrl } },
      nodes: tc.nodes,
      ...(tc.edges ? { edges: tc.edges } : {}),
    };
    writeFileSync(file, JSON.stringify(doc, null, 2));
    benchCases.push({
      name: tc.name,
      description: tc.expectedSql,
      reset: () => sql(dstUrl, (c) => c.query(`CREATE SCHEMA IF NOT EXISTS bench; DROP TABLE IF EXISTS ${OUT}`)).then(() => checkpoint(dstUrl)).then(() => undefined),
      run: () => runSynqx(['run', file]),
      verify: async () => {
        const got = await checksumOf(dstUrl, `SELECT * FROM ${OUT}`);
        const ok = got.rows === expected.rows && got.checksum === expected.checksum;
        return { ok, note: ok ? undefined : `expected ${expected.rows} rows / ${expected.checksum}, got ${got.rows} / ${got.checksum}` };
      },
    });
  }
  try {
    const results = await runCases(benchCases, { rows, reps, copyBytes: bytes, log });
    process.stdout.write(`${formatTable(results, { rows, copyBytes: bytes }).replace('vs raw', 'vs copy')}\n`);
    const json = {
      bench: 'transforms',
      at: new Date().toISOString(),
      rows,
      reps,
      cases: results.map((r) => ({ name: r.name, seconds_median: r.medianSeconds, ratio_vs_copy: Number(r.ratioVsBaseline.toFixed(3)), peak_rss_bytes: r.peakRssBytes ?? null, verified: r.verified })),
    };
    if (args['json-out']) writeFileSync(args['json-out'], `${JSON.stringify(json, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(json)}\n`);
    if (results.some((r) => !r.verified)) process.exitCode = 1;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    await sql(args['pg-url'], (c) => c.query(`DROP DATABASE IF EXISTS "${DST_DB}" WITH (FORCE)`));
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
