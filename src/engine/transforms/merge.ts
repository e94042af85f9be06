import { z } from 'zod';
import type { FieldProblem } from '../../core/errors.js';
import { columnName, columnNames } from './config-fields.js';
import { streamTransform } from './define-transform.js';
import { MergeOperator } from './merge-operator.js';
import type { StreamTransformDefinition } from './stream-operator.js';

export const mergeConfigSchema = z
  .object({
    keys: columnNames,
    primary: z.enum(['left', 'right']).default('left'),
    delete_column: columnName.optional(),
    max_delta_rows: z.number().int().positive().default(1_000_000),
  })
  .strict()
  .superRefine((config, ctx) => {
    for (const p of deleteNotKey(config)) ctx.addIssue({ code: 'custom', message: p.message, path: ['delete_column'] });
  });

export type MergeConfig = z.infer<typeof mergeConfigSchema>;

function deleteNotKey(raw: unknown): FieldProblem[] {
  if (typeof raw !== 'object' || raw === null) return [];
  const { keys, delete_column: del } = raw as Record<string, unknown>;
  if (typeof del === 'string' && Array.isArray(keys) && keys.includes(del)) {
    return [{ field: 'config.delete_column', message: 'delete_column cannot be one of the keys', error_type: 'custom' }];
  }
  return [];
}

export const mergeDefinition: StreamTransformDefinition = streamTransform(
  {
    name: 'merge',
    description:
      'Applies a delta input onto a primary input by `keys`: `primary` left (default: input 0 primary, input 1 delta) or right; a primary row whose key the delta has becomes the last delta row for that key (dropped when its boolean `delete_column` is true), delta rows for new keys are appended; the delta is held in memory up to `max_delta_rows`',
    operatorTypes: ['merge', 'transform'],
    inputs: 'many',
    // Input 0 and input 1 play different roles (primary/delta): the node's edges in declaration order.
    arity: { min: 2, max: 2 },
    configSchema: mergeConfigSchema,
    crossChecks: deleteNotKey,
  },
  (c) => new MergeOperator(c.keys, c.primary, c.delete_column, c.max_delta_rows),
);
