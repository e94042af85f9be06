import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface CliRun {
  /** Wall-clock seconds from spawn to exit (Node start-up included: it is what a user waits). */
  seconds: number;
  /** Peak RSS the CLI reported with --stats (its own process, worker threads included). */
  peakRssBytes?: number;
  /** The run's own duration as the engine measured it. */
  engineSeconds?: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built CLI (`node bin/synqx.js …` by default; `command` overrides, e.g. a dev entry under
 * tsx) as its own process with `--stats`, so its memory is measured apart from the benchmark's.
 */
export async function runSynqx(args: string[], command: string[] = ['node', 'bin/synqx.js']): Promise<CliRun> {
  const started = process.hrtime.bigint();
  const [bin, ...pre] = command;
  const child = spawn(bin!, [...pre, ...args, '--stats', '--quiet'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (code !== 0) throw new Error(`synqx ${args[0]} exited with ${code}: ${stderr.trim()}`);
  const statsLine = stderr.split('\n').find((l) => l.startsWith('synqx-stats '));
  const stats = statsLine ? (JSON.parse(statsLine.slice('synqx-stats '.length)) as { peak_rss_bytes?: number; seconds?: number }) : {};
  return { seconds, peakRssBytes: stats.peak_rss_bytes, engineSeconds: stats.seconds, stdout, stderr };
}
