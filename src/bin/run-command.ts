import { readFile } from 'node:fs/promises';
import { type Command, InvalidArgumentError } from 'commander';
import { installPlugins } from '../engine/transforms/plugins.js';
import { pluginDirFromEnv, workerHeapMbFromEnv } from '../platform/config.js';
import { formatCount, formatSeconds } from '../engine/runtime/format.js';
import type { RunResult } from '../engine/runtime/coordinator.js';
import { pipelineFileGraph } from '../services/pipeline-file-graph.js';
import { parsePipelineFile, type ParsedPipeline } from '../services/pipeline-file.js';
import { quarantineStepId } from '../services/quarantine-targets.js';
import { EXIT, reportSetupError, runOnce, type OutputFlags } from './run-once.js';

interface RunFlags extends OutputFlags {
  threads?: number;
  check?: boolean;
}

const threadCount = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 64) throw new InvalidArgumentError('expected 0 to 64');
  return n;
};

/** `synqx run <file>`: a pipeline file (JSON or YAML, connections inline) run once in this process. */
export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('run a pipeline file (JSON or YAML; see docs/pipeline-file.md) once, without the API or a metadata store')
    .argument('<file>', 'pipeline file (.json, .yaml or .yml)')
    .option('--threads <n>', 'worker threads for transforms (0: run them on the main thread)', threadCount)
    .option('--check', 'validate the file and print the plan, without connecting')
    .option('-q, --quiet', 'no progress output')
    .option('-v, --verbose', 'print every log line of the run')
    .option('--stats', 'print a `synqx-stats {json}` line with peak RSS and timings on stderr')
    .action(async (file: string, flags: RunFlags) => {
      process.exit(await run(file, flags));
    });
}

async function run(file: string, flags: RunFlags): Promise<number> {
  let pipeline: ParsedPipeline;
  let workerHeapMb: number | undefined;
  try {
    workerHeapMb = workerHeapMbFromEnv();
    // The file's transform nodes may name plugins: installed before the file is validated.
    await installPlugins(pluginDirFromEnv());
    pipeline = parsePipelineFile(await readFile(file, 'utf8'), file);
  } catch (err) {
    return reportSetupError(err, []);
  }
  if (flags.check) {
    process.stdout.write(`${file}: ok: ${describePlan(pipeline)}\n`);
    return EXIT.ok;
  }
  const { graph, estimatedRows } = pipelineFileGraph(pipeline);
  return runOnce({
    ...flags,
    graph,
    estimatedRows,
    secrets: pipeline.secrets,
    threads: flags.threads ?? pipeline.settings.threads,
    workerHeapMb,
    mailboxDepth: pipeline.settings.mailbox_depth,
    summary: (r) => summary(pipeline, r),
  }).catch(() => EXIT.failed);
}

function describePlan(p: ParsedPipeline): string {
  const quarantine = (n: ParsedPipeline['nodes'][number]) => (n.kind === 'transform' && n.quarantine ? `, quarantine ${n.quarantine.label}` : '');
  return p.nodes.map((n) => `${n.id} (${n.kind === 'transform' ? n.transform : `${n.kind} ${n.label}`}${quarantine(n)})`).join(' → ');
}

/**
 * `ran users-backup in 3.4 s: 1,000,000 rows read, 900,000 written (public.a 900,000; …), 100,000 filtered`,
 * then `, 12 quarantined to public.bad` when transforms quarantine: those rows are not counted as
 * written (they went to the quarantine tables) nor as filtered (they are the steps' records_error).
 */
function summary(p: ParsedPipeline, r: RunResult): string {
  const labels = new Map(p.nodes.map((n) => [n.id, n.label]));
  const quarantineLabels = new Map(p.nodes.flatMap((n) => (n.kind === 'transform' && n.quarantine ? [[quarantineStepId(n.id), n.quarantine.label] as const] : [])));
  const sinks = r.steps.filter((s) => s.kind === 'sink' && !quarantineLabels.has(s.stepId));
  const quarantines = r.steps.filter((s) => quarantineLabels.has(s.stepId));
  const filtered = r.steps.reduce((n, s) => n + s.counters.records_filtered, 0);
  const filteredPart = filtered > 0 ? `, ${formatCount(filtered)} filtered` : '';
  const quarantinedPart = quarantines.length > 0 ? `, ${loaded(quarantines)} quarantined${where(quarantines, quarantineLabels)}` : '';
  return `ran ${p.name} in ${formatSeconds(r.durationSeconds)}: ${formatCount(r.totals.total_extracted)} rows read, ${loaded(sinks)} written${where(sinks, labels)}${filteredPart}${quarantinedPart}`;
}

type Step = RunResult['steps'][number];

function loaded(sinks: Step[]): string {
  return formatCount(sinks.reduce((n, s) => n + (s.load?.rowsWritten ?? 0), 0));
}

/** ` to public.a` for one sink, ` (public.a 900; public.b 100)` for several. */
function where(sinks: Step[], labels: Map<string, string>): string {
  if (sinks.length === 1) return ` to ${labels.get(sinks[0]!.stepId)}`;
  return sinks.length > 1 ? ` (${sinks.map((s) => `${labels.get(s.stepId)} ${formatCount(s.load?.rowsWritten ?? 0)}`).join('; ')})` : '';
}
