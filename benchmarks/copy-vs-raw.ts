/**
 * Issue 3's closing benchmark: `synqx copy` against the physical limit, the raw psql binary COPY
 * pipe, on the same generated mixed-type table, alternating and repeated, every destination checked.
 *
 *   node --import tsx benchmarks/copy-vs-raw.ts --rows 1000000 --reps 3
 *
 * Options: --rows N (default 1,000,000), --reps N (default 3), --pg-url URL (a server where databases
 * may be created; default BENCH_PG_URL or postgresql://root@127.0.0.1:5432/postgres), --cli "cmd …"
 * (how to start synqx; default `node bin/synqx.js`, built first with `npm run build` unless --no-build),
 * --reuse (keep an existing source table of the right size), --json-out FILE, --keep (leave the databases).
 * Prints progress and the table on stderr/stdout and, last, one JSON line.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pg from 'pg';
import pgCopy from 'pg-copy-streams';
import { formatTable, runCases, type BenchCase } from './lib/bench-runner.js';
import { checksumOf, createMixedTable, MIXED_TABLE_DDL, type TableChecksum } from './lib/mixed-table.js';
import { rawCopyPipe } from './lib/raw-pipe.js';
import { REPO_ROOT, runSynqx } from './lib/synqx-cli.js';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    reps: { type: 'string', default: '3' },
    'pg-url': { type: 'string', default: process.env.BENCH_PG_URL ?? 'postgresql://root@127.0.0.1:5432/postgres' },
    cli: { type: 'string' },
    'no-build': { type: 'boolean', default: false },
    reuse: { type: 'boolean', default: false },
    'json-out': { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});

const rows = Number(args.rows);
const reps = Number(args.reps);
if (!Number.isInteger(rows) || rows < 1 || !Number.isInteger(reps) || reps < 1) throw new Error('--rows and --reps must be positive integers');
const log = (line: string) => process.stderr.write(`${line}\n`);

const SRC_DB = 'synqx_bench_src';
const DST_DB = 'synqx_bench_dst';
const SCHEMA = 'bench';
const TABLE = 'mixed';
const QUALIFIED = `${SCHEMA}.${TABLE}`;

function dbUrl(name: string): string {
  const u = new URL(args['pg-url']);
  u.pathname = `/${name}`;
  return u.toString();
}

async function onServer<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function ensureDatabase(name: string, fresh: boolean): Promise<void> {
  await onServer(args['pg-url'], async (c) => {
    if (fresh) await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    const { rowCount } = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await c.query(`CREATE DATABASE "${name}"`);
  });
}

async function sourceRowCount(url: string): Promise<number | undefined> {
  return onServer(url, async (c) => {
    const exists = await c.query('SELECT to_regclass($1) AS t', [QUALIFIED]);
    if (!exists.rows[0].t) return undefined;
    const { rows: r } = await c.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${QUALIFIED}`);
    return Number(r[0]!.n);
  });
}

/** Size of the table as binary COPY (what both cases move), for MB/s. */
async function copyBytes(url: string): Promise<number> {
  return onServer(url, async (c) => {
    let bytes = 0;
    const stream = c.query(pgCopy.to(`COPY ${QUALIFIED} TO STDOUT (FORMAT binary)`));
    for await (const chunk of stream as AsyncIterable<Buffer>) bytes += chunk.length;
    return bytes;
  });
}

async function main(): Promise<void> {
  const srcUrl = dbUrl(SRC_DB);
  const dstUrl = dbUrl(DST_DB);
  const cli = args.cli ? args.cli.split(' ').filter(Boolean) : undefined;
  if (!cli && !args['no-build']) {
    log('building (npm run build) …');
    execFileSync('npm', ['run', '-s', 'build'], { cwd: REPO_ROOT, stdio: 'inherit' });
  }

  await ensureDatabase(SRC_DB, !args.reuse);
  await ensureDatabase(DST_DB, true);
  if (!(args.reuse && (await sourceRowCount(srcUrl)) === rows)) {
    log(`generating ${rows.toLocaleString('en-US')} rows in ${SRC_DB}.${QUALIFIED} …`);
    const t = Date.now();
    await createMixedTable(srcUrl, SCHEMA, TABLE, rows);
    log(`generated in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  }
  const expected = await checksumOf(srcUrl, `SELECT * FROM ${QUALIFIED}`);
  const bytes = await copyBytes(srcUrl);
  log(`source: ${expected.rows.toLocaleString('en-US')} rows, ${(bytes / 1e6).toFixed(0)} MB as binary COPY`);

  // Both cases load an empty table with the same DDL (primary key included), so both pay the index.
  const resetDestination = () =>
    onServer(dstUrl, async (c) => {
      await c.query(`CREATE SCHEMA IF NOT EXISTS ${SCHEMA}`);
      await c.query(`DROP TABLE IF EXISTS ${QUALIFIED}`);
      await c.query(MIXED_TABLE_DDL(QUALIFIED));
    });
  const verify = async () => {
    const got: TableChecksum = await checksumOf(dstUrl, `SELECT * FROM ${QUALIFIED}`);
    const ok = got.rows === expected.rows && got.checksum === expected.checksum;
    return { ok, note: ok ? undefined : `expected ${expected.rows} rows / ${expected.checksum}, got ${got.rows} / ${got.checksum}` };
  };

  const cases: BenchCase[] = [
    {
      name: 'raw psql pipe',
      description: 'psql \\copy … to stdout (format binary) | psql \\copy … from stdin (format binary)',
      reset: resetDestination,
      run: async () => ({ seconds: await rawCopyPipe(srcUrl, QUALIFIED, dstUrl, QUALIFIED) }),
      verify,
    },
    {
      name: 'synqx copy',
      description: 'synqx copy --mode append (its own process, wall clock incl. start-up)',
      reset: resetDestination,
      run: () => runSynqx(['copy', '--from', srcUrl, '--table', QUALIFIED, '--to', dstUrl, '--target', QUALIFIED, '--mode', 'append'], cli),
      verify,
    },
  ];
  const results = await runCases(cases, { rows, reps, copyBytes: bytes, log });
  process.stdout.write(`${formatTable(results, { rows, copyBytes: bytes })}\n`);

  const json = {
    bench: 'copy-vs-raw',
    at: new Date().toISOString(),
    rows,
    reps,
    copy_bytes: bytes,
    cases: results.map((r) => ({
      name: r.name,
      seconds_median: round(r.medianSeconds, 3),
      seconds: r.seconds.map((s) => round(s, 3)),
      rows_per_s: Math.round(r.rowsPerSecond),
      mb_per_s: round(r.mbPerSecond, 1),
      ratio_vs_raw: round(r.ratioVsBaseline, 3),
      peak_rss_bytes: r.peakRssBytes ?? null,
      verified: r.verified,
    })),
  };
  if (args['json-out']) writeFileSync(args['json-out'], `${JSON.stringify(json, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(json)}\n`);

  if (!args.keep) {
    await onServer(args['pg-url'], async (c) => {
      await c.query(`DROP DATABASE IF EXISTS "${DST_DB}" WITH (FORCE)`);
      if (!args.reuse) await c.query(`DROP DATABASE IF EXISTS "${SRC_DB}" WITH (FORCE)`);
    });
  }
  if (results.some((r) => !r.verified)) process.exitCode = 1;
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

await main();
