import { execFileSync, spawn } from 'node:child_process';

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
  WITH data only, create no tables, create no indexes, no truncate
  INCLUDING ONLY TABLE NAMES MATCHING '${table}' IN SCHEMA '${schema}';\n`;
  const started = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(bin, ['--on-error-stop', '/dev/stdin'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`pgloader exited with ${code}: ${stderr.trim()}`))));
    child.stdin.end(command);
  });
  return Number(process.hrtime.bigint() - started) / 1e9;
}
