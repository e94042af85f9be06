import type { Logger } from '../platform/logger.js';
import type { Db } from '../store/db.js';
import { jobStateRepo } from '../store/repos/job-state-repo.js';
import type { JobExecutor } from './job-executor.js';

/**
 * The slow path of cancel: every `intervalMs` a worker asks the jobs table whether any job it runs
 * has a cancel request. It catches requests whose pub/sub message was lost (a Redis reconnect, a
 * worker that subscribed late). Returns the stop function.
 */
export function watchCancelRequests(db: Db, executor: JobExecutor, intervalMs: number, logger: Logger): () => void {
  let busy = false;
  const timer = setInterval(() => {
    const ids = executor.inFlight();
    if (busy || ids.length === 0) return;
    busy = true;
    jobStateRepo
      .cancelRequested(db, ids)
      .then((cancelled) => cancelled.forEach((id) => executor.stop(id, 'cancel')))
      .catch((err: unknown) => logger.warn({ err }, 'cancel poll failed'))
      .finally(() => {
        busy = false;
      });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
