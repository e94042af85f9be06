import type { z } from 'zod';
import { allTransforms } from '../engine/transforms/registry.js';

export interface TransformCatalogEntry {
  name: string;
  description: string;
  operatorTypes: readonly string[];
  inputs: 'one' | 'many';
  /** Loaded from PLUGIN_DIR at start (not a built-in). */
  plugin: boolean;
  configSchema: z.ZodType;
}

/** The transforms a node's `operator_class` may name — built-ins, then plugins — with the schema of their `config`. */
export function transformCatalog(): TransformCatalogEntry[] {
  return allTransforms().map((t) => ({
    name: t.name,
    description: t.description,
    operatorTypes: t.operatorTypes,
    inputs: t.inputs,
    plugin: t.kind === 'batch' && t.plugin !== undefined,
    configSchema: t.configSchema,
  }));
}
