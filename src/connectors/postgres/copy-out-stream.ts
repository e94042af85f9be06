import { Readable } from 'node:stream';

// Protocol message codes (https://www.postgresql.org/docs/current/protocol-message-formats.html).
const ERROR_RESPONSE = 0x45;
const COPY_OUT_RESPONSE = 0x48;
const COPY_DATA = 0x64;
const NOTIFICATION = 0x41;
const NOTICE = 0x4e;
const PARAMETER_STATUS = 0x53;

interface PgSocket {
  read(): Buffer | null;
  pause(): void;
  resume(): void;
  listeners(event: 'data'): Function[];
  on(event: string, fn: (...args: never[]) => void): unknown;
  removeListener(event: string, fn: (...args: never[]) => void): unknown;
}

interface PgConnection {
  stream: PgSocket;
  query(text: string): void;
}

/**
 * `COPY … TO STDOUT` as a Readable of the COPY payload, for pg's `client.query(submittable)`; the same
 * connection hand-over as pg-copy-streams' copy-to (take the socket's 'data' listener away from pg, read
 * the socket directly, give it back at the first message that ends copy-out mode).
 *
 * Why not pg-copy-streams itself: it cuts every CopyData message — one per row — into a Buffer of its own
 * and concatenates them again, a million short-lived objects per million rows. Here each socket chunk's
 * payload is compacted in place and handed on: no allocation, whatever the row count.
 */
export class CopyOutStream extends Readable {
  rowCount = 0;
  private connection: PgConnection | undefined;
  private pgDataHandler: ((chunk: Buffer) => void) | undefined;
  private readonly onReadable = () => this.forward();
  private drained = false;
  private forwarding = false;
  private finished = false;
  // Parser state, kept across socket chunks.
  private header = Buffer.alloc(5);
  private headerHave = 0;
  private code = 0;
  private remaining = 0;

  constructor(readonly text: string) {
    super();
  }

  submit(connection: PgConnection): void {
    this.connection = connection;
    const stream = connection.stream;
    const listeners = stream.listeners('data') as Array<(chunk: Buffer) => void>;
    if (listeners.length !== 1) throw new Error(`expected one data listener on the pg socket, found ${listeners.length}`);
    this.pgDataHandler = listeners[0];
    stream.removeListener('data', this.pgDataHandler!);
    stream.pause();
    this.forward();
    stream.on('readable', this.onReadable);
    connection.query(this.text);
  }

  override _read(): void {
    this.drained = true;
    this.forward();
  }

  private forward(): void {
    if (this.forwarding || !this.drained || !this.connection || this.finished) return;
    this.forwarding = true;
    const stream = this.connection.stream;
    let chunk: Buffer | null;
    while (this.drained && !this.finished && (chunk = stream.read()) !== null) this.drained = this.parse(chunk);
    this.forwarding = false;
  }

  /** Pushes the chunk's CopyData payload; at the end of copy-out mode hands the rest back to pg. */
  private parse(chunk: Buffer): boolean {
    // The payload is compacted in place (copyWithin: one native call per row, no allocation): the
    // socket's chunk is ours, and payload bytes only ever move towards its start, never past `pos`.
    const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
    let o = 0;
    let pos = 0;
    const end = chunk.length;
    while (pos < end) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, end - pos);
        if (this.code === COPY_DATA) {
          if (o !== pos) bytes.copyWithin(o, pos, pos + n);
          o += n;
        }
        pos += n;
        this.remaining -= n;
        continue;
      }
      // A message header: code byte + int32 length (which counts itself). Read in place when it is whole
      // in this chunk (once per row: no copy); gathered into `header` only when a chunk cuts it.
      let code: number;
      let length: number;
      let whole = false;
      if (this.headerHave === 0 && end - pos >= 5) {
        code = bytes[pos]!;
        length = ((bytes[pos + 1]! << 24) | (bytes[pos + 2]! << 16) | (bytes[pos + 3]! << 8) | bytes[pos + 4]!) >>> 0;
        whole = true;
        pos += 5;
      } else {
        const n = Math.min(5 - this.headerHave, end - pos);
        chunk.copy(this.header, this.headerHave, pos, pos + n);
        this.headerHave += n;
        pos += n;
        if (this.headerHave < 5) break;
        this.headerHave = 0;
        code = this.header[0]!;
        length = this.header.readUInt32BE(1);
      }
      if (code !== COPY_DATA && code !== COPY_OUT_RESPONSE && code !== NOTICE && code !== NOTIFICATION && code !== PARAMETER_STATUS) {
        // CopyDone, ErrorResponse or anything else ends copy-out mode: pg parses it and what follows.
        // From this message's first byte on, which lies beyond every byte compacted so far.
        const rest = whole ? Buffer.from(chunk.subarray(pos - 5)) : Buffer.concat([this.header, chunk.subarray(pos)]);
        const drained = o > 0 ? this.push(chunk.subarray(0, o)) : true;
        this.detach(rest, code === ERROR_RESPONSE);
        return drained;
      }
      this.code = code;
      this.remaining = length - 4;
    }
    return o > 0 ? this.push(chunk.subarray(0, o)) : true;
  }

  private detach(rest: Buffer, isError: boolean): void {
    this.finished = true;
    const connection = this.connection!;
    const stream = connection.stream;
    stream.removeListener('readable', this.onReadable);
    stream.on('data', this.pgDataHandler!);
    this.pgDataHandler!(rest);
    // The handler may pause the socket (its highWaterMark); resume once it has returned.
    process.nextTick(() => stream.resume());
    // With an error, pg calls handleError next, which destroys this stream with it.
    if (!isError) this.push(null);
  }

  // Called by pg's Client as the query progresses (the Submittable contract).
  handleError(err: Error): void {
    this.destroy(err);
  }

  handleCommandComplete(msg: { text?: string } | undefined): void {
    const match = /COPY (\d+)/.exec(msg?.text ?? '');
    if (match) this.rowCount = Number(match[1]);
  }

  handleReadyForQuery(): void {}
}

export function copyOut(text: string): CopyOutStream {
  return new CopyOutStream(text);
}
