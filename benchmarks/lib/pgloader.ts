import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where pgloader is installed (case (e) is skipped otherwise). */
export function findPgloader(): string | undefined {
  try {
    return execFileSync('which', ['pgloader'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** pgloader's Postgres → Postgres move into an existing empty table (data only); wall-clock seconds. */
export async function runPgloader(bin: string, srcUrl: string, dstUrl: string, schema: string, table: string): Promise<number> {
  const command = `LOAD DATABASE FROM ${srcUrl} INTO ${dstUrl}
  WITH data only, create no tables, create no indexes, no truncate,
       workers = 2, concurrency = 1, prefetch rows = 10000, batch rows = 10000, batch size = 16MB
  INCLUDING ONLY TABLE NAMES MATCHING '${table}' IN SCHEMA '${schema}';\n`;
  // A command file, not stdin: Node hands a child a socket for stdin, which pgloader cannot open as /dev/stdin.
  const dir = mkdtempSync(join(tmpdir(), 'synqx-pgloader-'));
  const file = join(dir, 'move.load');
  writeFileSync(file, command);
  const started = process.hrtime.bigint();
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(bin, ['--on-error-stop', file], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`pgloader exited with ${code}: ${stderr.trim()}`))));
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return Number(process.hrtime.bigint() - started) / 1e9;
}
