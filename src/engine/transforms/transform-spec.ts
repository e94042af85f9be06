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
  /** Set for a transform loaded from PLUGIN_DIR: the file it came from. */
  plugin?: { file: string };
  /** Fan-in only: how many upstream edges (see `inputArity`; default at least 2, no maximum). */
  arity?: { min: number; max?: number };
  /**
   * Fan-in only, for inputs that play different roles (join: left/right): config keys whose value
   * names one of the node's inputs by node_id, in the operator's input order. The planner checks each
   * names an input, and orders the node's inputs accordingly (the rest follow in edge order).
   */
  inputKeys?: readonly string[];
  /**
   * Fan-in only: whether, for this (parsed) config, the operator drains its inputs one after another.
   * Such a node deadlocks when two inputs share an upstream node, so the planner rejects that shape.
   * Default for fan-in: true (the safe assumption).
   */
  readsSequentially?: (config: unknown) => boolean;
}

/** The number of upstream edges a node running `spec` may have. */
export function inputArity(spec: TransformSpec): { min: number; max: number } {
  if (spec.inputs === 'one') return { min: 1, max: 1 };
  return { min: spec.arity?.min ?? 2, max: spec.arity?.max ?? Infinity };
}

/** "exactly 2", "at least 2", "2 to 4". */
export function describeArity(a: { min: number; max: number }): string {
  if (a.min === a.max) return `exactly ${a.min}`;
  if (a.max === Infinity) return `at least ${a.min}`;
  return `${a.min} to ${a.max}`;
}
