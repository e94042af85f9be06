import { createHmac } from 'node:crypto';

/**
 * The per-pipeline secret transforms get as TransformContext.salt (pii_mask's `hash` uses it when its
 * config names no salt): HMAC-SHA256 of the pipeline id under the master secret. Derived on every run,
 * never stored, so the same pipeline hashes a value the same way across runs while two pipelines —
 * or a precomputed table — cannot match each other's hashes. Changing MASTER_PASSWORD changes it.
 */
export function pipelineSalt(secret: string, pipelineId: number): string {
  return createHmac('sha256', secret).update(`pii-salt:${pipelineId}`).digest('hex');
}
