import Router from '@koa/router';
import type { Context, Next } from 'koa';
import { AppError } from '../core/index.js';

/** RFC 3986 unreserved characters: escaping them changes nothing, so their escapes are decoded. */
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/**
 * The one canonical form of a request path, computed once before both auth
 * and routing read it, so the two can never disagree on what was asked for:
 * escapes of unreserved characters decoded (`%61` is `a`), other escapes in
 * upper case, runs of `/` collapsed and a trailing `/` dropped. Paths that
 * could mean something else to another reader are refused: invalid escapes,
 * NUL, backslashes, and `.` or `..` segments (escaped or not). Case is kept:
 * routes match case-sensitively (createRouter), as OPA's do.
 */
export function canonicalPath(raw: string): string {
  if (!raw.startsWith('/')) throw invalidPath('it does not start with /');
  const decoded = raw.replace(/%([0-9A-Fa-f]{2})?/g, (_escape: string, hex: string | undefined) => {
    if (hex === undefined) throw invalidPath('it holds a % that is not an escape');
    const ch = String.fromCharCode(parseInt(hex, 16));
    if (ch === '\0') throw invalidPath('it holds a NUL');
    return UNRESERVED.test(ch) ? ch : `%${hex.toUpperCase()}`;
  });
  if (decoded.includes('\\') || decoded.includes('\0')) throw invalidPath('it holds a backslash or NUL');
  const segments = decoded.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '.' || s === '..')) throw invalidPath('it holds a . or .. segment');
  return `/${segments.join('/')}`;
}

function invalidPath(why: string): AppError {
  return new AppError('REQUEST_INVALID', `the request path is refused: ${why}`);
}

/** Rewrites ctx.path to its canonical form; everything after this middleware sees only that. */
export function canonicalizePath() {
  return async (ctx: Context, next: Next): Promise<void> => {
    const path = canonicalPath(ctx.path);
    if (path !== ctx.path) ctx.path = path;
    await next();
  };
}

/** A router matching paths exactly as canonicalPath writes them: case-sensitive, no optional trailing slash. */
export function createRouter(): Router {
  return new Router({ sensitive: true, strict: true });
}

/**
 * After every router: a path some route serves, asked with another method,
 * is 405 METHOD_NOT_ALLOWED with `Allow` (never the router's 501 for methods
 * it does not know); OPTIONS is answered 204 with `Allow`.
 */
export function methodNotAllowed(routers: readonly Router[]) {
  return async (ctx: Context, next: Next): Promise<void> => {
    await next();
    if (ctx.status !== 404 || ctx.body !== undefined) return;
    const allowed = new Set(routers.flatMap((r) => r.match(ctx.path, ctx.method).path.flatMap((layer) => layer.methods)));
    if (allowed.size === 0) return;
    const allow = [...allowed].sort().join(', ');
    ctx.set('Allow', allow);
    if (ctx.method === 'OPTIONS') {
      ctx.status = 204;
      return;
    }
    throw new AppError('METHOD_NOT_ALLOWED', `${ctx.method} is not allowed on ${ctx.path}; allowed: ${allow}`);
  };
}
