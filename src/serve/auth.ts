import type { Context, Next } from 'koa';
import { AppError } from '../core/index.js';
import { verifyToken, type AuthIdentity, type Store, type TokenScope } from '../store/index.js';

/** What a request needs: no token, or a token with this API scope (and for bundles, this bundle). */
type Requirement = { readonly open: true } | { readonly open: false; readonly scope: TokenScope; readonly bundle?: string };

/**
 * Callers that cannot send bearer tokens: the API server (admission webhook)
 * and Gatekeeper (external data). They are authenticated by TLS client
 * certificates instead (server.tls.client_ca and require_client_cert).
 */
const OPEN_PATHS = new Set(['/health', '/ready', '/v1/admission', '/v1/gatekeeper/provider']);

/** Maps a path to the scope it needs; anything not an agent API is an admin API, so new routes are closed by default. */
export function requirementFor(path: string): Requirement {
  if (OPEN_PATHS.has(path)) return { open: true };
  const bundle = /^\/bundles\/(.+)$/.exec(path)?.[1];
  if (bundle !== undefined) return { open: false, scope: 'bundles', bundle: decodeName(bundle).replace(/\.tar\.gz$/, '') };
  if (path === '/status' || path.startsWith('/status/')) return { open: false, scope: 'status' };
  if (path === '/logs' || path.startsWith('/logs/')) return { open: false, scope: 'logs' };
  return { open: false, scope: 'admin' };
}

function decodeName(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** The identity a verified token gave this request, for the routes that record who sent what. */
export function authOf(ctx: Context): AuthIdentity | undefined {
  return (ctx.state as { auth?: AuthIdentity }).auth;
}

/**
 * Bearer-token check in front of every route: 401 (with WWW-Authenticate)
 * without a valid, unrevoked token, 403 when the token's scopes or bundles
 * do not cover the request. The store is asked on every request, so a
 * revocation takes effect at once. Tokens are never logged.
 */
export function requireTokens(store: Store) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const need = requirementFor(ctx.path);
    if (need.open) return next();
    const presented = /^Bearer +(\S+)$/i.exec(ctx.get('Authorization'))?.[1];
    if (presented === undefined) {
      ctx.set('WWW-Authenticate', 'Bearer realm="portcullis"');
      throw new AppError('UNAUTHENTICATED', 'a bearer token is required (Authorization: Bearer <token>)');
    }
    const token = await verifyToken(store, presented);
    if (!token) {
      ctx.set('WWW-Authenticate', 'Bearer realm="portcullis", error="invalid_token"');
      throw new AppError('UNAUTHENTICATED', 'the bearer token is not valid or has been revoked');
    }
    if (!token.scopes.includes(need.scope)) {
      throw new AppError('FORBIDDEN', `token '${token.name}' is not allowed to use the ${need.scope} API`);
    }
    if (need.bundle !== undefined && !token.bundles.includes('*') && !token.bundles.includes(need.bundle)) {
      throw new AppError('FORBIDDEN', `token '${token.name}' is not allowed to download bundle '${need.bundle}'`);
    }
    const identity: AuthIdentity = {
      tokenId: token.id,
      ...(token.agent === undefined ? {} : { agent: token.agent }),
      ...(token.group === undefined ? {} : { group: token.group }),
    };
    (ctx.state as { auth?: AuthIdentity }).auth = identity;
    return next();
  };
}
