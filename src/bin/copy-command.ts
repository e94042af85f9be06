import { type Command, InvalidArgumentError, Option } from 'commander';
import { SynqxError } from '../core/errors.js';
import { formatCount, formatRate, formatSeconds } from '../engine/runtime/format.js';
import { pipelineFileGraph } from '../services/pipeline-file-graph.js';
import { validatePipelineDocument, type PipelineDocument } from '../services/pipeline-file.js';
import { EXIT, reportSetupError, runOnce, type OutputFlags } from './run-once.js';

const MODES = ['append', 'truncate', 'replace', 'upsert'] as const;

interface CopyFlags extends OutputFlags {
  from: string;
  table: string;
  to?: string;
  target?: string;
  mode: (typeof MODES)[number];
  key?: string[];
  where?: string;
  columns?: string[];
  batchRows?: number;
  create: boolean;
}

/** Where a problem in the generated pipeline came from, in flag names. */
const FLAG_OF: [RegExp, string][] = [
  [/^connections\.source(\.|$).*/, '--from'],
  [/^connections\.destination(\.|$).*/, '--to'],
  [/^nodes\.0\.table$/, '--table'],
  [/^nodes\.1\.table$/, '--target'],
  [/^nodes\.0\.options\.where$/, '--where'],
  [/^nodes\.0\.options\.columns(\.\d+)?$/, '--columns'],
  [/^nodes\.0\.options\.batch_rows$/, '--batch-rows'],
  [/^nodes\.1\.options\.upsert_keys(\.\d+)?$/, '--key'],
  [/^nodes\.1\.options\.write_mode$/, '--mode'],
];

function flagName(field: string): string {
  return FLAG_OF.find(([re]) => re.test(field))?.[1] ?? field;
}

const list = (v: string) => {
  const items = v.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new InvalidArgumentError('expected a comma-separated list of column names');
  return items;
};

const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
};

/** `synqx copy`: one table from one Postgres database to another, streamed, in one transaction. */
export function registerCopyCommand(program: Command): void {
  program
    .command('copy')
    .description('copy one table between Postgres databases (streamed binary COPY; the destination is unchanged if anything fails)')
    .requiredOption('--from <url>', 'source database URL (postgresql://user[:password]@host:port/db; or leave the password out and set PGPASSWORD)')
    .requiredOption('--table <schema.table>', 'source table')
    .option('--to <url>', 'destination database URL (default: the source database)')
    .option('--target <schema.table>', 'destination table (default: same name as --table)')
    .addOption(new Option('--mode <mode>', 'write mode').choices(MODES).default('append'))
    .option('--key <col,...>', 'conflict key columns for --mode upsert', list)
    .option('--where <condition>', 'SQL condition: copy only matching rows')
    .option('--columns <col,...>', 'copy only these columns', list)
    .option('--batch-rows <n>', 'rows per batch (default 8192)', positiveInt)
    .option('--no-create', 'fail instead of creating a missing destination table')
    .option('-q, --quiet', 'no progress output')
    .option('-v, --verbose', 'print every log line of the run')
    .option('--stats', 'print a `synqx-stats {json}` line with peak RSS and timings on stderr')
    .action(async (flags: CopyFlags) => {
      process.exit(await copy(flags));
    });
}

async function copy(flags: CopyFlags): Promise<number> {
  const target = flags.target ?? flags.table;
  const doc: PipelineDocument = {
    name: 'copy',
    connections: { source: { dsn: flags.from }, destination: { dsn: flags.to ?? flags.from } },
    nodes: [
      { id: 'extract', type: 'extract', connection: 'source', table: flags.table, options: defined({ where: flags.where, columns: flags.columns, batch_rows: flags.batchRows }) },
      {
        id: 'load',
        type: 'load',
        connection: 'destination',
        table: target,
        options: defined({ write_mode: flags.mode, upsert_keys: flags.key, create_if_missing: flags.create }),
      },
    ],
  };
  const urlSecrets = [flags.from, flags.to].filter((u): u is string => Boolean(u));
  let pipeline;
  try {
    if (flags.key && flags.mode !== 'upsert') throw new SynqxError('VALIDATION_FAILED', '--key is only used with --mode upsert');
    if (flags.mode === 'upsert' && !flags.key) throw new SynqxError('VALIDATION_FAILED', '--mode upsert needs --key (the conflict key columns, e.g. --key id)');
    if ((flags.to === undefined || flags.to === flags.from) && target === flags.table) {
      throw new SynqxError('VALIDATION_FAILED', 'source and destination are the same table: give --to or a different --target');
    }
    pipeline = validatePipelineDocument(doc);
  } catch (err) {
    // Without --to the destination is the --from URL: its problems are already reported once.
    return reportSetupError(err, urlSecrets, (f) => (flags.to === undefined && f.startsWith('connections.destination') ? undefined : flagName(f)));
  }
  const { graph, estimatedRows } = pipelineFileGraph(pipeline);
  return runOnce({
    ...flags,
    graph,
    estimatedRows,
    secrets: [...pipeline.secrets, ...urlSecrets],
    summary: (r) => {
      const rows = r.totals.total_loaded;
      return `copied ${formatCount(rows)} rows from ${flags.table} to ${target} in ${formatSeconds(r.durationSeconds)} (${formatRate(rows, r.durationSeconds)})`;
    },
  }).catch(() => EXIT.failed);
}

function defined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
