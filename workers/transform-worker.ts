import { move, transferableSymbol, valueSymbol } from 'piscina';
import { runTransformTask, type TransformReply, type TransformTask } from '../src/engine/transforms/transform-task.js';

/**
 * Piscina entry: IPC bytes in → transform → IPC bytes out (kept rows, and rejected rows when the
 * transform rejects any). The reply's bytes are moved back to the calling thread (transferred, not copied).
 */
export default function transformWorker(task: TransformTask): TransformReply {
  const reply = runTransformTask(task);
  if (!reply.ok || (!reply.ipc && !reply.rejectedIpc)) return reply;
  const buffers = [reply.ipc?.buffer, reply.rejectedIpc?.buffer].filter((b) => b !== undefined);
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
