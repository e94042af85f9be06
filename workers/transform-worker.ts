import { move, transferableSymbol, valueSymbol } from 'piscina';
import { runTransformTask, type TransformReply, type TransformTask } from '../src/engine/transforms/transform-task.js';

/**
 * Piscina entry: packed batch in → transform → packed batch out. The reply's buffers are moved back
 * to the calling thread (transferred, not copied).
 */
export default function transformWorker(task: TransformTask): TransformReply {
  const reply = runTransformTask(task);
  if (!reply.ok || !reply.batch) return reply;
  const buffers = reply.batch.buffers;
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
