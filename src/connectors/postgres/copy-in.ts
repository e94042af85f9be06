import type pg from 'pg';
import pgCopy from 'pg-copy-streams';

type CopyFromStream = ReturnType<typeof pgCopy.from>;

/**
 * One `COPY … FROM STDIN` on a client, written with at most one chunk in flight: `send` waits for
 * the previous chunk's write callback before handing over the next, so the caller can encode the
 * next chunk meanwhile and memory stays at one chunk. Keeping pg-copy-streams' own buffer that short
 * also matters for errors: once the server rejects the COPY the stream drops its connection, and a
 * second buffered chunk would then be flushed into nothing and throw inside a socket callback.
 */
export class CopyIn {
  private readonly stream: CopyFromStream;
  private failure: unknown;
  private inflight: Promise<void> | undefined;
  private rejectInflight: ((err: unknown) => void) | undefined;
  private ended = false;
  /** Bytes handed to the stream. */
  bytes = 0;

  constructor(client: pg.Client, sql: string) {
    this.stream = client.query(pgCopy.from(sql));
    this.stream.on('error', (err) => {
      if (this.failure === undefined) this.failure = err;
      this.rejectInflight?.(err);
    });
  }

  /** The server's (or the socket's) error, once the COPY failed. */
  get failed(): unknown {
    return this.failure;
  }

  /** Hands `chunk` over once the previous chunk was taken; throws as soon as the COPY failed. */
  async send(chunk: Uint8Array): Promise<void> {
    if (this.inflight) await this.inflight;
    if (this.failure !== undefined) throw this.failure;
    this.bytes += chunk.length;
    const p = new Promise<void>((resolve, reject) => {
      this.rejectInflight = reject;
      this.stream.write(chunk, (err) => (err ? reject(err) : resolve()));
    });
    p.catch(() => {}); // observed by the next send/finish; never an unhandled rejection
    this.inflight = p;
  }

  /** Waits until everything sent was taken (e.g. the header: that also waits for CopyInResponse). */
  async flushed(): Promise<void> {
    if (this.inflight) await this.inflight;
    if (this.failure !== undefined) throw this.failure;
  }

  /** Sends CopyDone and resolves once the server confirmed the COPY (rows in, session ready). */
  async finish(): Promise<void> {
    await this.flushed();
    this.ended = true;
    await new Promise<void>((resolve, reject) => {
      this.rejectInflight = reject;
      this.stream.once('finish', () => resolve());
      this.stream.end();
    });
    this.rejectInflight = undefined;
  }

  /** Makes a pending `send`/`finish` fail now with `err` (used by abort). */
  interrupt(err: unknown): void {
    this.rejectInflight?.(err);
  }

  /**
   * Asks the server to abandon the COPY (CopyFail) and waits for its answer, after which the
   * session can ROLLBACK. Not possible once the COPY failed or CopyDone was sent.
   */
  async cancel(timeoutMs: number): Promise<void> {
    const stream = this.stream;
    if (this.failure !== undefined || this.ended || stream.destroyed) return;
    const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()));
    stream.destroy(new Error('load aborted'));
    await withTimeout(closed, timeoutMs);
  }
}

export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
