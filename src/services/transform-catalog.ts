import type { z } from 'zod';
import { TRANSFORMS } from '../engine/transforms/registry.js';

export interface TransformCatalogEntry {
  name: string;
  description: string;
  operatorTypes: readonly string[];
  configSchema: z.ZodType;
}

/** The transforms a node's `operator_class` may name, with the strict schema of their `config` (for the API docs). */
export function transformCatalog(): TransformCatalogEntry[] {
  return TRANSFORMS.map((t) => ({ name: t.name, description: t.description, operatorTypes: t.operatorTypes, configSchema: t.configSchema }));
}
