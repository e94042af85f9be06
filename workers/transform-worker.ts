import { move, transferableSymbol, valueSymbol, workerData } from 'piscina';
import { installPlugins } from '../src/engine/transforms/plugins.js';
import { runTransformTask, type TransformReply, type TransformTask, type TransformWorkerData } from '../src/engine/transforms/transform-task.js';

// A worker thread is a fresh isolate: its registry knows only the built-ins until it installs the
// plugin directory its pool's process installed. Piscina awaits this module (top-level await) before
// the first task, so a task never meets a registry without its plugins.
await installPlugins((workerData as TransformWorkerData | undefined)?.pluginDir);

/**
 * Piscina entry: IPC bytes in → transform → IPC bytes out. The reply's bytes are moved back to the
 * calling thread (transferred, not copied).
 */
export default function transformWorker(task: TransformTask): TransformReply {
  const reply = runTransformTask(task);
  if (!reply.ok || !reply.ipc) return reply;
  const ipc = reply.ipc;
  const movable = {
    get [transferableSymbol]() {
      return [ipc.buffer];
    },
    get [valueSymbol]() {
      return reply;
    },
  };
  return move(movable) as unknown as TransformReply;
}
