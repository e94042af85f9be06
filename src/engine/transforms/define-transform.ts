import type { z } from 'zod';
import type { FieldProblem } from '../../core/errors.js';
import { parseConfig } from './config-problems.js';
import type { StreamOperator, StreamTransformDefinition } from './stream-operator.js';
import type { BatchTransformDefinition, TransformContext, TransformFn } from './transform.js';
import type { TransformSpec } from './transform-spec.js';

// How registry entries are made: a strict zod schema checked once, every problem reported at once as
// VALIDATION_FAILED with `config.…` fields, then the typed config handed to the transform's own code.

type SpecOf<S extends z.ZodType> = Omit<TransformSpec, 'configSchema'> & { configSchema: S };
type BatchSpecOf<S extends z.ZodType> = SpecOf<S> & {
  metadataOnly?: boolean;
  /** For configs that need state across batches: their stream operator (see BatchTransformDefinition.stateful). */
  stateful?: (config: z.infer<S>) => ((ctx: TransformContext) => StreamOperator) | undefined;
};

export function batchTransform<S extends z.ZodType>(spec: BatchSpecOf<S>, build: (config: z.infer<S>) => TransformFn): BatchTransformDefinition {
  const { stateful, ...definition } = spec;
  const parse = (raw: unknown): z.infer<S> => parseConfig(spec.name, spec.configSchema, raw);
  return {
    ...definition,
    kind: 'batch',
    build: (raw: unknown): TransformFn => build(parse(raw)),
    ...(stateful && { stateful: (raw: unknown) => stateful(parse(raw)) }),
  };
}

/**
 * A stateful or fan-in transform: `validate` only parses; `create` parses and builds one run's operator.
 * `crossChecks` (see parseConfig) report rules across fields even when zod stopped at a field error.
 */
export function streamTransform<S extends z.ZodType>(
  spec: SpecOf<S> & { crossChecks?: (raw: unknown) => FieldProblem[] },
  create: (config: z.infer<S>, ctx: TransformContext) => StreamOperator,
): StreamTransformDefinition {
  const { crossChecks, ...definition } = spec;
  const parse = (raw: unknown): z.infer<S> => parseConfig(spec.name, spec.configSchema, raw, crossChecks);
  return {
    ...definition,
    kind: 'stream',
    validate: (raw: unknown): void => void parse(raw),
    create: (raw: unknown, ctx: TransformContext): StreamOperator => create(parse(raw), ctx),
  };
}
