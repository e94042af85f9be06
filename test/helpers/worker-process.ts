import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('./dispatch-worker-main.ts', import.meta.url));

export interface WorkerProcess {
  child: ChildProcess;
  /** Parsed JSON lines printed so far. */
  lines: Array<Record<string, any>>;
  stderr: string[];
  /** Resolves with the first line matching (already printed or yet to come). */
  line(pred: (l: Record<string, any>) => boolean, timeoutMs?: number): Promise<Record<string, any>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
}

/** Spawns dispatch-worker-main.ts as a separate Node process with the given environment. */
export function spawnWorker(env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY], {
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, any>> = [];
  const stderr: string[] = [];
  const waiters: Array<() => void> = [];
  let buf = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const text = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        lines.push(JSON.parse(text));
      } catch {
        stderr.push(text);
      }
      waiters.splice(0).forEach((w) => w());
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => void stderr.push(chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      waiters.splice(0).forEach((w) => w());
      resolve({ code, signal });
    }),
  );
  return {
    child,
    lines,
    stderr,
    exited,
    kill: (signal) => void child.kill(signal),
    line(pred, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching line within ${timeoutMs} ms; stdout: ${JSON.stringify(lines)} stderr: ${stderr.join('').slice(-2000)}`)), timeoutMs);
        const check = () => {
          const hit = lines.find(pred);
          if (hit) {
            clearTimeout(timer);
            resolve(hit);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            clearTimeout(timer);
            reject(new Error(`worker exited (${child.exitCode ?? child.signalCode}); stderr: ${stderr.join('').slice(-2000)}`));
          } else waiters.push(check);
        };
        check();
      });
    },
  };
}
