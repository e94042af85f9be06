import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** One worker id per process: host, pid and a random tag (pids repeat across machines and restarts). */
export const PROCESS_WORKER_ID = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
