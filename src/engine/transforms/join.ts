import { z } from 'zod';
import type { FieldProblem } from '../../core/errors.js';
import { oneOfKeys } from './config-aliases.js';
import { columnName, columnNames } from './config-fields.js';
import { streamTransform } from './define-transform.js';
import { JoinOperator } from './join-operator.js';
import type { JoinShape } from './join-plan.js';
import type { StreamTransformDefinition } from './stream-operator.js';

const keyPairs = z.array(z.object({ left: columnName, right: columnName }).strict()).min(1);
const joinType = z.enum(['inner', 'left', 'right', 'full']);

export const joinConfigSchema = z
  .object({
    type: joinType.optional().describe('inner (default), left, right or full'),
    how: z.enum([...joinType.options, 'outer']).optional().describe('the original SynqX (pandas) name of `type`; `outer` is `full`'),
    keys: columnNames.optional(),
    /** Pairs keep both sides' key columns; names (the original SynqX's pandas `on`) mean the same as `keys`. */
    on: z.union([keyPairs, columnNames, columnName]).optional(),
    build: z.enum(['left', 'right']).default('right'),
    max_build_rows: z.number().int().positive().default(1_000_000),
    right_suffix: z.string().min(1).default('_right'),
  })
  .strict()
  .superRefine((config, ctx) => {
    oneOfKeys(config, ctx, 'type', 'how', { required: false, what: '' });
    for (const p of keysOrOn(config)) ctx.addIssue({ code: 'custom', message: p.message, path: [p.field.slice('config.'.length)] });
  })
  .transform(({ how, type, keys, on, ...rest }) => {
    const names = typeof on === 'string' ? [on] : on?.every((k): k is string => typeof k === 'string') ? on : undefined;
    return {
      ...rest,
      type: type ?? (how === 'outer' ? 'full' : how) ?? 'inner',
      keys: keys ?? names,
      on: names ? undefined : (on as z.infer<typeof keyPairs> | undefined),
    };
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
    return [{ field: 'config.keys', message: 'one of keys (same names on both sides) or on ([{left, right}], or names as keys) is required', error_type: 'custom' }];
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
