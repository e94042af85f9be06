/**
 * Serializes reporter calls so events arrive in order while the data path never waits for them.
 * A failing reporter call is remembered (and later ones still run): reporting problems must not
 * turn a successful load into a failed run.
 */
export class ReportQueue {
  private tail: Promise<void> = Promise.resolve();
  private readonly pendingKeys = new Set<string>();
  readonly errors: unknown[] = [];

  push(call: () => void | Promise<void>): void {
    this.tail = this.tail.then(call).catch((err: unknown) => {
      this.errors.push(err);
    });
  }

  /** Like `push`, but skipped while a call with the same key is still queued (progress coalescing). */
  pushCoalesced(key: string, call: () => void | Promise<void>): void {
    if (this.pendingKeys.has(key)) return;
    this.pendingKeys.add(key);
    this.push(() => {
      this.pendingKeys.delete(key);
      return call();
    });
  }

  drain(): Promise<void> {
    return this.tail;
  }
}
