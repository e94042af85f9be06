import { spawn } from 'node:child_process';

/**
 * The physical limit on this machine: psql's binary COPY out piped into psql's binary COPY in.
 * Returns wall-clock seconds. The destination table must exist and be empty.
 */
export async function rawCopyPipe(srcUrl: string, srcTable: string, dstUrl: string, dstTable: string): Promise<number> {
  const started = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) => {
    const out = spawn('psql', [srcUrl, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', `\\copy ${srcTable} to stdout (format binary)`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const into = spawn('psql', [dstUrl, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', `\\copy ${dstTable} from stdin (format binary)`], {
      stdio: ['pipe', 'ignore', 'inherit'],
    });
    out.stdout.pipe(into.stdin);
    let pending = 2;
    const done = (name: string) => (code: number | null) => {
      if (code !== 0) reject(new Error(`${name} exited with ${code}`));
      else if (--pending === 0) resolve();
    };
    out.on('exit', done('psql copy-out'));
    into.on('exit', done('psql copy-in'));
    out.on('error', reject);
    into.on('error', reject);
  });
  return Number(process.hrtime.bigint() - started) / 1e9;
}
