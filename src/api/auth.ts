import { createHash, timingSafeEqual } from 'node:crypto';
import type { Middleware } from 'koa';
import { SynqxError } from '../core/errors.js';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * Bearer-token check. Tokens are compared as SHA-256 digests with timingSafeEqual, and every token
 * is checked whatever matched first, so timing says nothing about how close a guess was.
 */
export function bearerAuth(tokens: string[], isPublic: (path: string) => boolean): Middleware {
  const digests = tokens.map(digest);
  return async (ctx, next) => {
    if (digests.length === 0 || isPublic(ctx.path)) return next();
    const header = ctx.get('authorization');
    const m = /^Bearer\s+(.+)$/i.exec(header.trim());
    let ok = false;
    if (m) {
      const given = digest(m[1]!.trim());
      for (const d of digests) ok = timingSafeEqual(given, d) || ok;
    }
    if (!ok) {
      ctx.set('WWW-Authenticate', 'Bearer realm="synqx"');
      throw new SynqxError('UNAUTHORIZED', m ? 'invalid bearer token' : 'missing Authorization: Bearer <token> header');
    }
    return next();
  };
}
