import { z } from 'zod';
import type { FieldProblem } from '../../core/errors.js';
import { streamTransform } from './define-transform.js';
import { JoinOperator } from './join-operator.js';
import type { JoinShape } from './join-plan.js';
import type { StreamTransformDefinition } from './stream-operator.js';

const columnName = z.string().min(1);

export const joinConfigSchema = z
  .object({
    type: z.enum(['inner', 'left', 'right', 'full']).default('inner'),
    keys: z
      .array(columnName)
      .min(1)
      .refine((k) => new Set(k).size === k.length, { message: 'keys must not repeat a name' })
      .optional(),
    on: z
      .array(z.object({ left: columnName, right: columnName }).strict())
      .min(1)
      .optional(),
    build: z.enum(['left', 'right']).default('right'),
    max_build_rows: z.number().int().positive().default(1_000_000),
    right_suffix: z.string().min(1).default('_right'),
  })
  .strict()
  .superRefine((config, ctx) => {
    for (const p of keysOrOn(config)) ctx.addIssue({ code: 'custom', message: p.message, path: [p.field.slice('config.'.length)] });
  });

export type JoinConfig = z.infer<typeof joinConfigSchema>;

/** Exactly one of `keys` and `on`: checked on the raw config too, since zod skips it once a field fails. */
function keysOrOn(raw: unknown): FieldProblem[] {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return [];
  const r = raw as Record<string, unknown>;
  if (r.keys !== undefined && r.on !== undefined) {
    return [{ field: 'config.on', message: 'give either keys (same names on both sides) or on (pairs), not both', error_type: 'custom' }];
  }
  if (r.keys === undefined && r.on === undefined) {
    return [{ field: 'config.keys', message: 'one of keys (same names on both sides) or on ([{left, right}]) is required', error_type: 'custom' }];
  }
  return [];
}

export function joinShape(config: JoinConfig): JoinShape {
  const pairs = config.keys ? config.keys.map((k) => ({ left: k, right: k })) : config.on!;
  return { type: config.type, pairs, coalesce: config.keys !== undefined, rightSuffix: config.right_suffix };
}

export const joinDefinition: StreamTransformDefinition = streamTransform(
  {
    name: 'join',
    description:
      'Hash join of input 0 (left) and input 1 (right) on `keys` (same names, one output column, like USING) or `on` ([{left, right}], every column kept); `type` inner|left|right|full; the `build` side (default right) is held in memory up to `max_build_rows`; clashing right column names get `right_suffix` (default _right)',
    operatorTypes: ['join', 'transform'],
    inputs: 'many',
    // Input 0 and input 1 play different roles (left/right): the node's edges in declaration order.
    arity: { min: 2, max: 2 },
    configSchema: joinConfigSchema,
    crossChecks: keysOrOn,
  },
  (c) => new JoinOperator(joinShape(c), c.build, c.max_build_rows),
);
