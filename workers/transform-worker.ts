import { move, transferableSymbol, valueSymbol } from 'piscina';
import { runTransformTask, type TransformReply, type TransformTask } from '../src/engine/transforms/transform-task.js';

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
