import { z } from 'zod';
import type { TransformFn } from './transform.js';

export const noopConfigSchema = z.object({}).strict();

export function buildNoop(): TransformFn {
  return (batch) => batch;
}
