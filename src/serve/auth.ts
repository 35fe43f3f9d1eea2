import type { Context, Next } from 'koa';
import { AppError } from '../core/index.js';
import { verifyToken, type AuthIdentity, type Store, type TokenRecord, type TokenScope } from '../store/index.js';

/** A token with this API scope (and for bundles, this bundle). */
export interface TokenRequirement {
  readonly open: false;
  readonly scope: TokenScope;
  readonly bundle?: string;
}

/** What a request needs: no token, or a token that meets a TokenRequirement. */
export type Requirement = { readonly open: true } | TokenRequirement;

/**
 * Callers that cannot send bearer tokens: the API server (admission webhook)
 * and Gatekeeper (external data). They are authenticated by TLS client
 * certificates instead (server.tls.client_ca and require_client_cert).
 */
const OPEN_PATHS = new Set(['/health', '/ready', '/v1/admission', '/v1/gatekeeper/provider']);

/** Maps a path to the scope it needs; anything not an agent API is an admin API, so new routes are closed by default. */
export function requirementFor(path: string): Requirement {
  if (OPEN_PATHS.has(path)) return { open: true };
  const bundle = /^\/bundles\/(.+)$/.exec(path)?.[1] ?? /^\/v2\/bundles\/([^/]+)\//.exec(path)?.[1];
  if (bundle !== undefined) return { open: false, scope: 'bundles', bundle: bundleNameOf(bundle) };
  // The OCI distribution API's version check, and anything else under it, is for agents that download bundles.
  if (path === '/v2' || path.startsWith('/v2/')) return { open: false, scope: 'bundles' };
  if (path === '/status' || path.startsWith('/status/')) return { open: false, scope: 'status' };
  if (path === '/logs' || path.startsWith('/logs/')) return { open: false, scope: 'logs' };
  return { open: false, scope: 'admin' };
}

/** The bundle a raw `/bundles/<segment>` names, decoded as the router decodes its parameters. */
export function bundleNameOf(segment: string): string {
  // Only a '%' escape can change under decoding; skipping the rest keeps the 304 fast path cheap.
  const name = segment.includes('%') ? decodeParameter(segment) : segment;
  return name.endsWith('.tar.gz') ? name.slice(0, -'.tar.gz'.length) : name;
}

function decodeParameter(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    // Left raw, as @koa/router leaves a parameter it cannot decode.
    return raw;
  }
}

/** The bearer token an Authorization header carries, if it is one. */
export function bearerToken(header: string | undefined): string | undefined {
  return header === undefined ? undefined : /^Bearer +(\S+)$/i.exec(header)?.[1];
}

/** Why a verified token does not cover a request (scope, then bundle), or undefined when it does. */
export function denial(token: TokenRecord, need: TokenRequirement): string | undefined {
  if (!token.scopes.includes(need.scope)) return `token '${token.name}' is not allowed to use the ${need.scope} API`;
  if (need.bundle !== undefined && !token.bundles.includes('*') && !token.bundles.includes(need.bundle)) {
    return `token '${token.name}' is not allowed to download bundle '${need.bundle}'`;
  }
  return undefined;
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
    if (need.open) {
      await next();
      return;
    }
    const presented = bearerToken(ctx.get('Authorization'));
    if (presented === undefined) {
      ctx.set('WWW-Authenticate', 'Bearer realm="portcullis"');
      throw new AppError('UNAUTHENTICATED', 'a bearer token is required (Authorization: Bearer <token>)');
    }
    const token = await verifyToken(store, presented);
    if (!token) {
      ctx.set('WWW-Authenticate', 'Bearer realm="portcullis", error="invalid_token"');
      throw new AppError('UNAUTHENTICATED', 'the bearer token is not valid or has been revoked');
    }
    const denied = denial(token, need);
    if (denied !== undefined) throw new AppError('FORBIDDEN', denied);
    const identity: AuthIdentity = {
      tokenId: token.id,
      ...(token.agent === undefined ? {} : { agent: token.agent }),
      ...(token.group === undefined ? {} : { group: token.group }),
    };
    (ctx.state as { auth?: AuthIdentity }).auth = identity;
    await next();
  };
}
