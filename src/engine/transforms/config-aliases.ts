import type { z } from 'zod';

/**
 * The original SynqX (pandas) spelled some config keys differently; pipelines written for it must
 * still validate. Each schema lists the old key next to its own as an optional field (so the OpenAPI
 * shows both), checks here that a config uses one of the two, and folds the old one into its own key.
 */
export function oneOfKeys(
  config: Record<string, unknown>,
  ctx: z.RefinementCtx,
  key: string,
  alias: string,
  opts: { required: boolean; what: string },
): void {
  const has = (k: string) => config[k] !== undefined;
  if (has(key) && has(alias)) {
    ctx.addIssue({ code: 'custom', path: [alias], message: `${alias} is the original SynqX name of ${key}: give one of them, not both` });
  } else if (opts.required && !has(key) && !has(alias)) {
    ctx.addIssue({ code: 'custom', path: [key], message: `${key} (or its original name ${alias}) is required: ${opts.what}` });
  }
}
