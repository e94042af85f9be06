import { SynqxError } from '../../core/errors.js';

export interface MailboxOptions<T> {
  /** For messages: the edge, e.g. `extract→load`. */
  name?: string;
  /** Most items held at once (≥ 1). */
  capacity: number;
  /** Most bytes held at once (by `sizeOf`). One item is always admitted, however large, so nothing deadlocks. */
  maxBytes?: number;
  sizeOf?: (item: T) => number;
}

interface Putter<T> {
  item: T;
  size: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface Taker<T> {
  resolve: (item: T | undefined) => void;
  reject: (err: unknown) => void;
}

/**
 * A bounded single-edge queue between two actors. `put` waits while the mailbox is full — that wait is
 * the backpressure that reaches back to the source's socket; `take` waits while it is empty and yields
 * `undefined` once the producer closed it and it is drained. `fail` passes an upstream error on,
 * `abort` (cancellation) wakes every waiter on both sides with the reason.
 */
export class Mailbox<T> {
  readonly name: string;
  private readonly capacity: number;
  private readonly maxBytes: number;
  private readonly sizeOf: (item: T) => number;
  private readonly items: { item: T; size: number }[] = [];
  private readonly putters: Putter<T>[] = [];
  private readonly takers: Taker<T>[] = [];
  private readyWaiters: (() => void)[] = [];
  private heldBytes = 0;
  private closed = false;
  private error: unknown = undefined;
  private failed = false;
  /** Most items ever held at once, for tests and diagnostics. */
  highWater = 0;

  constructor(options: MailboxOptions<T>) {
    if (!Number.isInteger(options.capacity) || options.capacity < 1) {
      throw new SynqxError('INTERNAL', `mailbox capacity must be a positive integer, got ${options.capacity}`);
    }
    this.name = options.name ?? 'mailbox';
    this.capacity = options.capacity;
    this.maxBytes = options.maxBytes ?? Infinity;
    this.sizeOf = options.sizeOf ?? (() => 0);
  }

  get size(): number {
    return this.items.length;
  }

  get bytes(): number {
    return this.heldBytes;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private hasRoom(size: number): boolean {
    if (this.items.length === 0) return true;
    return this.items.length < this.capacity && this.heldBytes + size <= this.maxBytes;
  }

  put(item: T): Promise<void> {
    if (this.failed) return Promise.reject(this.error);
    if (this.closed) return Promise.reject(new SynqxError('INTERNAL', `put on closed mailbox ${this.name}`));
    const size = this.sizeOf(item);
    const taker = this.takers.shift();
    if (taker) {
      taker.resolve(item);
      return Promise.resolve();
    }
    if (this.putters.length === 0 && this.hasRoom(size)) {
      this.push(item, size);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => this.putters.push({ item, size, resolve, reject }));
  }

  take(): Promise<T | undefined> {
    if (this.failed) return Promise.reject(this.error);
    const next = this.items.shift();
    if (next) {
      this.heldBytes -= next.size;
      this.admitPutters();
      return Promise.resolve(next.item);
    }
    const putter = this.putters.shift();
    if (putter) {
      // Only reachable with capacity exhausted by bytes on an empty queue; hand over directly.
      putter.resolve();
      return Promise.resolve(putter.item);
    }
    if (this.closed) return Promise.resolve(undefined);
    return new Promise<T | undefined>((resolve, reject) => this.takers.push({ resolve, reject }));
  }

  /**
   * Resolves once `take` would not wait (an item, end of stream or failure). Lets a fan-in actor watch
   * several mailboxes and take from whichever is ready without losing an item to an abandoned `take`.
   */
  whenReady(): Promise<void> {
    if (this.failed || this.closed || this.items.length > 0 || this.putters.length > 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.readyWaiters.push(resolve));
  }

  /** The producer is done: takers drain what is left, then get `undefined`. */
  close(): void {
    if (this.closed || this.failed) return;
    this.closed = true;
    for (const t of this.takers.splice(0)) t.resolve(undefined);
    this.wakeReady();
  }

  /** The producer failed: every waiter, now and later, gets `err`; held items are dropped. */
  fail(err: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.error = err;
    this.items.length = 0;
    this.heldBytes = 0;
    for (const t of this.takers.splice(0)) t.reject(err);
    for (const p of this.putters.splice(0)) p.reject(err);
    this.wakeReady();
  }

  /** Cancellation: like `fail`, with the cancellation reason. */
  abort(reason: unknown): void {
    this.fail(reason);
  }

  private push(item: T, size: number): void {
    this.items.push({ item, size });
    this.heldBytes += size;
    if (this.items.length > this.highWater) this.highWater = this.items.length;
    this.wakeReady();
  }

  private admitPutters(): void {
    while (this.putters.length > 0 && this.hasRoom(this.putters[0]!.size)) {
      const p = this.putters.shift()!;
      this.push(p.item, p.size);
      p.resolve();
    }
  }

  private wakeReady(): void {
    if (this.readyWaiters.length === 0) return;
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const w of waiters) w();
  }
}
