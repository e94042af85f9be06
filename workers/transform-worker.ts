import { move, transferableSymbol, valueSymbol, workerData } from 'piscina';
import { installPlugins } from '../src/engine/transforms/plugins.js';
import { runTransformTask, type TransformReply, type TransformTask, type TransformWorkerData } from '../src/engine/transforms/transform-task.js';

/**
 * Piscina entry: packed batch in → transform → packed batches out (kept rows, and rejected rows when the
 * transform rejects any). The reply's buffers are moved back to the calling thread (transferred, not copied).
 */
function transformWorker(task: TransformTask): TransformReply {
  const reply = runTransformTask(task);
  if (!reply.ok || (!reply.batch && !reply.rejected)) return reply;
  const buffers = [...(reply.batch?.buffers ?? []), ...(reply.rejected?.buffers ?? [])];
  const movable = {
    get [transferableSymbol]() {
      return buffers;
    },
    get [valueSymbol]() {
      return reply;
    },
  };
  return move(movable) as unknown as TransformReply;
}

/**
 * A worker thread is a fresh isolate: its registry knows only the built-ins until it installs the
 * plugin directory its pool's process installed. Piscina awaits a promised default export before the
 * first task, so no task meets a registry without its plugins. (Not top-level await: Piscina loads
 * this file through require() first, which top-level await would break under tsx.) The process
 * loaded the same directory at start, so a failure here is rare; it fails every task, saying why.
 */
export default installPlugins((workerData as TransformWorkerData | undefined)?.pluginDir).then(
  () => transformWorker,
  (err: unknown) => (): TransformReply => ({
    ok: false,
    code: 'CONFIG_INVALID',
    message: `the transform worker could not load PLUGIN_DIR: ${err instanceof Error ? err.message : String(err)}`,
  }),
);
