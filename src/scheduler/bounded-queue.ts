import { SynqxError } from '../core/errors.js';

/** A FIFO with a hard limit: a push beyond it is refused (UNAVAILABLE → 503), never buffered. */
export class BoundedQueue<T> {
  private items: T[] = [];

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.items.length;
  }

  /** Appends, or inserts before the first waiting item `goesBefore` says it should pass. */
  push(item: T, goesBefore?: (waiting: T) => boolean): void {
    if (this.items.length >= this.capacity) {
      throw new SynqxError('UNAVAILABLE', `the in-process queue is full (${this.capacity} jobs waiting); try again later`, { retryable: true });
    }
    const at = goesBefore ? this.items.findIndex(goesBefore) : -1;
    if (at < 0) this.items.push(item);
    else this.items.splice(at, 0, item);
  }

  shift(): T | undefined {
    return this.items.shift();
  }

  has(pred: (item: T) => boolean): boolean {
    return this.items.some(pred);
  }

  /** Removes every item matching; returns how many were removed. */
  remove(pred: (item: T) => boolean): number {
    const before = this.items.length;
    this.items = this.items.filter((i) => !pred(i));
    return before - this.items.length;
  }
}
