import type { z } from 'zod';

/** Operator types (api-compat) that run a transform rather than a connector. */
export type TransformOperatorType = 'transform' | 'validate' | 'noop' | 'merge' | 'union' | 'join';

/**
 * What the planner and the API validation need to know about a transform, before anything runs:
 * its name (the node's `operator_class`), which `operator_type`s may use it, how many inputs it
 * takes, and the strict schema its `config` must satisfy.
 */
export interface TransformSpec {
  name: string;
  description: string;
  operatorTypes: readonly TransformOperatorType[];
  /** 'one': exactly one upstream edge. 'many': a fan-in node (union, merge, join). */
  inputs: 'one' | 'many';
  configSchema: z.ZodType;
}
