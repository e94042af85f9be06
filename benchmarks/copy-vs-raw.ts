/**
 * Issue 3's closing benchmark: `synqx copy` against the physical limit, the raw psql binary COPY
 * pipe, on the same generated mixed-type table, alternating and repeated, every destination checked.
 *
 *   node --import tsx benchmarks/copy-vs-raw.ts --rows 1000000 --reps 3
 *
 * Options: --rows N (default 1,000,000), --reps N (default 3), --pg-url URL (a server where databases
 * may be created; default BENCH_PG_URL or postgresql://root@127.0.0.1:5432/postgres), --cli "cmd …"
 * (how to start synqx; default `node bin/synqx.js`, built first with `npm run build` unless --no-build),
 * --reuse (keep an existing source table of the right size), --json-out FILE, --keep (leave the databases),
 * --cases a,b,c,d,e (which cases to run; the first one run is the baseline of the ratios; default all).
 * Cases: (a) raw psql pipe, (b) synqx copy, (c) synqx run of a transform chain on the worker pool, (d) the same
 * pipeline over the REST API of a `synqx start` server, (e) pgloader when installed.
 * Prints progress and the table on stderr/stdout and, last, one JSON line.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { binaryCopyBytes, checkpoint, databaseUrl, onServer } from './lib/pg-util.js';
import { formatTable, runCases, type BenchCase } from './lib/bench-runner.js';
import { checkTargets, formatTargets, type EarlierRun } from './lib/targets.js';
import { checksumOf, createMixedTable, MIXED_TABLE_DDL, type TableChecksum } from './lib/mixed-table.js';
import { startApiServer, type ApiServer } from './lib/api-server.js';
import { findPgloader, runPgloader } from './lib/pgloader.js';
import { rawCopyPipe } from './lib/raw-pipe.js';
import { REPO_ROOT, runSynqx } from './lib/synqx-cli.js';
import { apiPipelineVersion, expectedTransformSql, pipelineFile } from './lib/transform-pipeline.js';

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
    cases: { type: 'string', default: 'a,b,c,d,e' },
    'compare-json': { type: 'string' },
  },
});

const ALL_CASES = ['a', 'b', 'c', 'd', 'e'] as const;
type CaseKey = (typeof ALL_CASES)[number];
const selected = new Set(args.cases.split(',').map((c) => c.trim().toLowerCase()).filter(Boolean));
for (const c of selected) if (!(ALL_CASES as readonly string[]).includes(c)) throw new Error(`--cases: unknown case ${c} (expected some of ${ALL_CASES.join(',')})`);
if (selected.size === 0) throw new Error('--cases: name at least one case');

const rows = Number(args.rows);
const reps = Number(args.reps);
if (!Number.isInteger(rows) || rows < 1 || !Number.isInteger(reps) || reps < 1) throw new Error('--rows and --reps must be positive integers');
const log = (line: string) => process.stderr.write(`${line}\n`);

const SRC_DB = 'synqx_bench_src';
const DST_DB = 'synqx_bench_dst';
const META_DB = 'synqx_bench_meta';
const SCHEMA = 'bench';
const TABLE = 'mixed';
const QUALIFIED = `${SCHEMA}.${TABLE}`;
// Cases (c) and (d) write their transformed rows here; the load creates the table (derived column included).
const OUT_TABLE = 'mixed_out';
const OUT_QUALIFIED = `${SCHEMA}.${OUT_TABLE}`;

const dbUrl = (name: string) => databaseUrl(args['pg-url'], name);

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
  const bytes = await binaryCopyBytes(srcUrl, QUALIFIED);
  log(`source: ${expected.rows.toLocaleString('en-US')} rows, ${(bytes / 1e6).toFixed(0)} MB as binary COPY`);

  let checkpoints = true;
  const settle = async () => {
    if (checkpoints && !(await checkpoint(dstUrl))) {
      checkpoints = false;
      log('note: this role may not CHECKPOINT; cases may pay for the writes of the case before them');
    }
  };
  // Both cases load an empty table with the same DDL (primary key included), so both pay the index.
  const resetDestination = async () => {
    await onServer(dstUrl, async (c) => {
      await c.query(`CREATE SCHEMA IF NOT EXISTS ${SCHEMA}`);
      await c.query(`DROP TABLE IF EXISTS ${QUALIFIED}`);
      await c.query(MIXED_TABLE_DDL(QUALIFIED));
    });
    await settle();
  };
  const verify = async () => {
    const got: TableChecksum = await checksumOf(dstUrl, `SELECT * FROM ${QUALIFIED}`);
    const ok = got.rows === expected.rows && got.checksum === expected.checksum;
    return { ok, note: ok ? undefined : `expected ${expected.rows} rows / ${expected.checksum}, got ${got.rows} / ${got.checksum}` };
  };

  const expectedOut = selected.has('c') || selected.has('d') ? await checksumOf(srcUrl, expectedTransformSql(QUALIFIED)) : undefined;
  const resetOut = async () => {
    await onServer(dstUrl, async (c) => {
      await c.query(`CREATE SCHEMA IF NOT EXISTS ${SCHEMA}`);
      await c.query(`DROP TABLE IF EXISTS ${OUT_QUALIFIED}`);
    });
    await settle();
  };
  const verifyOut = async () => {
    const got = await checksumOf(dstUrl, `SELECT * FROM ${OUT_QUALIFIED}`);
    const ok = got.rows === expectedOut!.rows && got.checksum === expectedOut!.checksum;
    return { ok, note: ok ? undefined : `expected ${expectedOut!.rows} rows / ${expectedOut!.checksum}, got ${got.rows} / ${got.checksum}` };
  };
  const tmp = mkdtempSync(join(tmpdir(), 'synqx-bench-file-'));
  const pipelinePath = join(tmp, 'transform.json');
  writeFileSync(pipelinePath, JSON.stringify(pipelineFile({ srcUrl, srcTable: QUALIFIED, dstUrl, dstTable: OUT_QUALIFIED }), null, 2));

  let server: ApiServer | undefined;
  let apiPipelineId: number | undefined;
  if (selected.has('d')) {
    log('starting synqx start (Postgres metadata store, in-process dispatch) …');
    await ensureDatabase(META_DB, true);
    server = await startApiServer(cli, dbUrl(META_DB));
    apiPipelineId = await createApiPipeline(server, srcUrl, dstUrl);
  }
  const pgloader = selected.has('e') ? findPgloader() : undefined;
  if (selected.has('e') && !pgloader) log('pgloader not installed');

  const all: Record<CaseKey, BenchCase | undefined> = {
    a: {
      name: 'raw psql pipe',
      description: 'psql \\copy … to stdout (format binary) | psql \\copy … from stdin (format binary)',
      reset: resetDestination,
      run: async () => ({ seconds: await rawCopyPipe(srcUrl, QUALIFIED, dstUrl, QUALIFIED) }),
      verify,
    },
    b: {
      name: 'synqx copy',
      description: 'synqx copy --mode append (its own process, wall clock incl. start-up)',
      reset: resetDestination,
      run: () => runSynqx(['copy', '--from', srcUrl, '--table', QUALIFIED, '--to', dstUrl, '--target', QUALIFIED, '--mode', 'append'], cli),
      verify,
    },
    c: {
      name: 'synqx run (transforms)',
      description: 'synqx run <file>: filter id % 10 <> 3, rename_columns, derive qty2 on the worker pool (its own process)',
      reset: resetOut,
      run: () => runSynqx(['run', pipelinePath], cli),
      verify: verifyOut,
    },
    d: server
      ? {
          name: 'REST API run',
          description: 'POST /pipelines/:id/run?wait=true on a synqx start server (same pipeline, in-process worker)',
          reset: resetOut,
          run: async () => {
            const started = process.hrtime.bigint();
            const r = await server!.api('POST', `/pipelines/${apiPipelineId}/run?wait=true&timeout_seconds=3600`);
            const seconds = Number(process.hrtime.bigint() - started) / 1e9;
            if (r.status !== 200 || r.body?.status !== 'success') throw new Error(`API run failed (${r.status}): ${r.text}`);
            return { seconds, peakRssBytes: server!.peakRssBytes() };
          },
          verify: verifyOut,
        }
      : undefined,
    e: pgloader
      ? {
          name: 'pgloader',
          description: 'pgloader data only into the existing empty table',
          reset: resetDestination,
          run: async () => ({ seconds: await runPgloader(pgloader, srcUrl, dstUrl, SCHEMA, TABLE) }),
          verify,
        }
      : undefined,
  };
  const cases = ALL_CASES.filter((k) => selected.has(k)).map((k) => all[k]).filter((c): c is BenchCase => c !== undefined);
  if (cases.length === 0) throw new Error('no case left to run');
  let results;
  try {
    results = await runCases(cases, { rows, reps, copyBytes: bytes, log });
  } finally {
    await server?.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
  process.stdout.write(`${formatTable(results, { rows, copyBytes: bytes })}\n`);
  // With --compare-json (an earlier run's JSON at another row count), scaling is checked too.
  const earlier = args['compare-json'] ? (JSON.parse(readFileSync(args['compare-json'], 'utf8')) as EarlierRun) : undefined;
  const targets = checkTargets(results, rows, earlier);
  process.stdout.write(`${formatTargets(targets)}\n`);

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
    targets,
  };
  if (args['json-out']) writeFileSync(args['json-out'], `${JSON.stringify(json, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(json)}\n`);

  if (!args.keep) {
    await onServer(args['pg-url'], async (c) => {
      await c.query(`DROP DATABASE IF EXISTS "${DST_DB}" WITH (FORCE)`);
      await c.query(`DROP DATABASE IF EXISTS "${META_DB}" WITH (FORCE)`);
      if (!args.reuse) await c.query(`DROP DATABASE IF EXISTS "${SRC_DB}" WITH (FORCE)`);
    });
  }
  if (results.some((r) => !r.verified)) process.exitCode = 1;
}

/** Connections for both databases, a source and a destination asset, and the transform pipeline, once. */
async function createApiPipeline(server: ApiServer, srcUrl: string, dstUrl: string): Promise<number> {
  const must = (what: string, r: { status: number; text: string; body: any }) => {
    if (r.status !== 201) throw new Error(`API: creating ${what} failed (${r.status}): ${r.text}`);
    return r.body.id as number;
  };
  const src = must('the source connection', await server.api('POST', '/connections', { name: 'bench source', connector_type: 'postgresql', config: { dsn: srcUrl } }));
  const dst = must('the destination connection', await server.api('POST', '/connections', { name: 'bench destination', connector_type: 'postgresql', config: { dsn: dstUrl } }));
  const srcAsset = must('the source asset', await server.api('POST', `/connections/${src}/assets`, { name: TABLE, fully_qualified_name: QUALIFIED, is_source: true }));
  const dstAsset = must('the destination asset', await server.api('POST', `/connections/${dst}/assets`, { name: OUT_TABLE, fully_qualified_name: OUT_QUALIFIED, is_destination: true }));
  return must('the pipeline', await server.api('POST', '/pipelines', { name: 'bench transform', initial_version: apiPipelineVersion(srcAsset, dstAsset) }));
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

await main();
