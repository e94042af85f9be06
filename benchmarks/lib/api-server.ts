import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './synqx-cli.js';

/**
 * Case (d) of issue 5: a real `synqx start` as its own process (no REDIS_URL so runs dispatch in
 * process), driven over HTTP, its memory read from /proc. With `metadataUrl` the metadata lives in
 * that Postgres database; otherwise in an embedded store in a temp SYNQX_HOME, whose first-start
 * initdb alone peaks near 870 MB RSS and would swamp the figure this case is about.
 */
export interface ApiServer {
  pid: number;
  api<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T; text: string }>;
  /** Peak resident set of the server process so far (VmHWM), in bytes. */
  peakRssBytes(): number | undefined;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startApiServer(command: string[] = ['node', 'bin/synqx.js'], metadataUrl?: string): Promise<ApiServer> {
  const home = mkdtempSync(join(tmpdir(), 'synqx-bench-'));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, SYNQX_HOME: home, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' };
  delete env.REDIS_URL;
  delete env.DATABASE_URL;
  if (metadataUrl) env.DATABASE_URL = metadataUrl;
  delete env.API_TOKENS;
  const [bin, ...pre] = command;
  const child: ChildProcess = spawn(bin!, [...pre, 'start'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  let exited = false;
  const exit = new Promise<void>((resolve) => child.on('exit', () => ((exited = true), resolve())));
  const base = `http://127.0.0.1:${port}/api/v1`;

  const api: ApiServer['api'] = async (method, path, body) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: any;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, body: parsed, text };
  };

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) throw new Error(`synqx start exited during start-up: ${stderr.trim()}`);
    try {
      if ((await api('GET', '/health')).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`synqx start did not answer /health within 30 s: ${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  return {
    pid: child.pid!,
    api,
    peakRssBytes() {
      try {
        const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        return m ? Number(m[1]) * 1024 : undefined;
      } catch {
        return undefined;
      }
    },
    async stop() {
      if (!exited) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exit;
        clearTimeout(timer);
      }
      rmSync(home, { recursive: true, force: true });
    },
  };
}
