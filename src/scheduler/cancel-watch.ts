import type { Logger } from '../platform/logger.js';
import type { JobExecutor } from '../services/job-executor.js';

/**
 * The slow path of cancel: every `intervalMs` a worker asks the jobs table whether any job it runs
 * has a cancel request. It catches requests whose pub/sub message was lost (a Redis reconnect, a
 * worker that subscribed late). Returns the stop function.
 */
export function watchCancelRequests(executor: JobExecutor, intervalMs: number, logger: Logger): () => void {
  let busy = false;
  const timer = setInterval(() => {
    const ids = executor.inFlight();
    if (busy || ids.length === 0) return;
    busy = true;
    executor
      .stopCancelRequested(ids)
      .catch((err: unknown) => logger.warn({ err }, 'cancel poll failed'))
      .finally(() => {
        busy = false;
      });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
