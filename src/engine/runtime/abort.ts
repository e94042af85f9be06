import { SynqxError } from '../../core/errors.js';

/**
 * Waits for `work` unless `signal` aborts first, then rejects with the signal's reason. Used on every
 * await that reaches outside the engine (a source's next batch, a sink's write, a pool task) so that a
 * component which ignores cancellation cannot hold the run open. `work` keeps running; its late outcome
 * is swallowed.
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/** The SynqxError a cancelled run ends with, whatever the caller passed to `abort()`. */
export function cancellationError(reason: unknown): SynqxError {
  if (reason instanceof SynqxError && reason.code === 'CANCELLED') return reason;
  const text = reason instanceof Error ? reason.message : reason === undefined ? 'cancelled' : String(reason);
  return new SynqxError('CANCELLED', text.startsWith('run cancelled') ? text : `run cancelled: ${text}`, { cause: reason });
}
