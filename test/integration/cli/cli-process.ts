import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The real CLI entry under tsx (what `npx synqx` runs once built). */
const ENTRY = 'src/bin/cli.ts';

export interface CliOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  child: ChildProcess;
  /** Everything written to stderr so far. */
  stderr(): string;
  done: Promise<CliOutcome>;
}

/** The built launcher, as installed users run it (dist/ must have been built). */
export const BUILT_ENTRY = ['bin/synqx.js'];

/** Spawns `synqx <args>` as its own process (stdin closed, not a TTY), from the repo root; `entry`: node's arguments before `args`. */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}, entry: string[] = ['--import', 'tsx', ENTRY]): CliProcess {
  const child = spawn(process.execPath, [...entry, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliOutcome>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, stderr: () => stderr, done };
}

export function runCli(args: string[], env?: NodeJS.ProcessEnv, entry?: string[]): Promise<CliOutcome> {
  return startCli(args, env, entry).done;
}

/** `postgresql://root:<password>@host:port/<db>`: trust auth ignores the password, so tests can check it is never printed. */
export function withPassword(url: string, password: string): string {
  const u = new URL(url);
  u.password = password;
  return u.toString();
}
