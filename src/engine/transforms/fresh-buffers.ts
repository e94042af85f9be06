// Buffers a transform allocated for one output batch and shares with nothing else. On a worker thread
// they may be moved back to the caller instead of copied (batch-transfer.ts); anything not registered
// here is copied, since it may be shared (a cache, a builder's pool) and must stay alive where it is.
const fresh = new WeakSet<ArrayBufferLike>();

export function freshly<T extends ArrayBufferView>(view: T): T {
  fresh.add(view.buffer);
  return view;
}

export function isFresh(buffer: ArrayBufferLike): boolean {
  return fresh.has(buffer);
}
