import type { AppError } from '../core/index.js';
import { parseChallenges, type Challenge } from './challenge.js';
import type { CredentialLookup, FoundCredentials } from './credentials.js';
import { registryError, responseError, type Step } from './errors.js';
import type { HttpRequest, HttpResponse } from './http.js';

/** How long credentials found (flags, Docker config, a helper) are used before they are looked up again. */
const CREDENTIALS_TTL_MS = 5 * 60_000;
/** Tokens are renewed this long before the expiry the token service states. */
const TOKEN_MARGIN_MS = 10_000;
const MAX_TOKEN_RESPONSE_BYTES = 1024 * 1024;

export interface AuthTransport {
  readonly registry: string;
  readonly userAgent: string;
  /** Sends a request (to the token service), failures named by `at`. */
  send(req: HttpRequest, at: Step): Promise<HttpResponse>;
  /** Throws when the URL would be plain HTTP where that is not allowed. */
  assertAllowed(url: URL, at: Step): void;
}

interface BearerChallenge {
  readonly realm: URL;
  readonly service?: string;
  readonly scope?: string;
}

/**
 * The authentication state of a client of one registry: nothing until a
 * 401, then HTTP Basic, a registry token sent as is, or tokens from the
 * token service named by a `Bearer realm=...,service=...,scope=...`
 * challenge, one per scope, shared by parallel requests and renewed before
 * they expire. Credentials are looked up only when a registry asks, and
 * again every few minutes, so a long-running server sees rotated ones.
 */
export class RegistryAuth {
  /** Once the registry has asked for Basic credentials or taken a registry token: sent with every later request. */
  private direct: 'basic' | 'registry-token' | undefined;
  private bearer: BearerChallenge | undefined;
  /** Tokens by scope, as promises so that parallel requests share one token request. */
  private readonly tokens = new Map<string, Promise<{ readonly header: string; readonly expires: number }>>();
  private found: Promise<FoundCredentials | undefined> | undefined;
  private foundUntil = 0;

  constructor(
    private readonly lookup: CredentialLookup,
    private readonly transport: AuthTransport,
  ) {}

  /** The Authorization header for a request needing `scope` (`repository:<name>:<actions>`), if any is due yet. */
  async header(scope: string, at: Step): Promise<string | undefined> {
    if (this.direct) return this.directHeader();
    if (!this.bearer) return undefined;
    const cached = await this.tokens.get(scope)?.catch(() => undefined);
    if (cached && cached.expires > Date.now()) return cached.header;
    const pending = this.fetchToken(this.bearer, scope, at);
    this.tokens.set(scope, pending);
    void pending.catch(() => this.tokens.delete(scope));
    return (await pending).header;
  }

  /** Answers a 401 to a request sent with `sent`: after this the request is worth sending once more, or it throws why not. */
  async answer(res: HttpResponse, scope: string, at: Step, sent: string | undefined): Promise<void> {
    // A request sent in parallel may have authenticated already: then this one only needs sending again.
    const current = this.direct ? await this.directHeader() : (await this.tokens.get(scope)?.catch(() => undefined))?.header;
    if (current !== undefined && current !== sent) return;
    const challenges = parseChallenges(headerOf(res, 'www-authenticate'));
    const bearer = challenges.find((ch) => ch.scheme === 'bearer');
    const found = await this.credentials();
    if (found?.credentials.kind === 'registry-token') {
      // A registry token is the bearer token itself, as OPA's `bearer` credentials send it: no token service involved.
      if (this.direct) throw await this.refused(res, at);
      this.direct = 'registry-token';
      return;
    }
    if (bearer) {
      this.tokens.delete(scope);
      this.bearer = bearerChallenge(bearer, at);
      return;
    }
    if (!challenges.some((ch) => ch.scheme === 'basic')) {
      const header = headerOf(res, 'www-authenticate') ?? 'no WWW-Authenticate';
      throw registryError('REGISTRY_AUTH_FAILED', at, `the registry answered 401 without a Basic or Bearer challenge (${header})`);
    }
    if (this.direct) throw await this.refused(res, at);
    if (!found) throw missingCredentials(at);
    if (found.credentials.kind !== 'basic') {
      throw registryError('REGISTRY_AUTH_FAILED', at, `the registry asks for a user and password; ${found.from} holds a token`);
    }
    this.direct = 'basic';
  }

  /** The error for a registry that still answers 401: whose credentials it refused, never the credentials themselves. */
  async refused(res: HttpResponse, at: Step): Promise<AppError> {
    const found = await this.credentials();
    const who = found ? `the credentials of ${found.from}` : 'anonymous access';
    return registryError('REGISTRY_AUTH_FAILED', at, `the registry refused ${who} (HTTP ${res.status})`);
  }

  private credentials(): Promise<FoundCredentials | undefined> {
    if (!this.found || Date.now() > this.foundUntil) {
      this.found = this.lookup(this.transport.registry);
      this.foundUntil = Date.now() + CREDENTIALS_TTL_MS;
    }
    return this.found;
  }

  /** The header of the Basic or registry-token mode, from the current credentials. */
  private async directHeader(): Promise<string | undefined> {
    const creds = (await this.credentials())?.credentials;
    if (this.direct === 'basic' && creds?.kind === 'basic') return basic(creds.username, creds.password);
    if (this.direct === 'registry-token' && creds?.kind === 'registry-token') return `Bearer ${creds.token}`;
    return undefined;
  }

  /** Gets a token for `scope` from the token service: anonymously, with Basic, or by OAuth2 refresh token for an identity token. */
  private async fetchToken(bearer: BearerChallenge, scope: string, at: Step): Promise<{ header: string; expires: number }> {
    const tokenAt = { registry: this.transport.registry, step: `${at.step}: getting a token from ${bearer.realm.host}` };
    this.transport.assertAllowed(bearer.realm, tokenAt);
    const scopes = [...new Set([scope, ...(bearer.scope ? [bearer.scope] : [])])];
    const found = await this.credentials();
    const creds = found?.credentials;
    const url = new URL(bearer.realm);
    const headers: Record<string, string> = { 'User-Agent': this.transport.userAgent, Accept: 'application/json' };
    let req: HttpRequest;
    if (creds?.kind === 'identity-token') {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.token, client_id: 'portcullis', scope: scopes.join(' ') });
      if (bearer.service) form.set('service', bearer.service);
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      req = { method: 'POST', url, headers, body: Buffer.from(form.toString()), maxBytes: MAX_TOKEN_RESPONSE_BYTES };
    } else {
      if (bearer.service) url.searchParams.set('service', bearer.service);
      for (const s of scopes) url.searchParams.append('scope', s);
      if (creds?.kind === 'basic') headers['Authorization'] = basic(creds.username, creds.password);
      req = { method: 'GET', url, headers, maxBytes: MAX_TOKEN_RESPONSE_BYTES };
    }
    const res = await this.transport.send(req, tokenAt);
    if (res.status === 401 || res.status === 403) {
      if (!found) throw missingCredentials(tokenAt);
      throw registryError('REGISTRY_AUTH_FAILED', tokenAt, `the token service refused the credentials of ${found.from} (HTTP ${res.status})`);
    }
    if (res.status !== 200) throw responseError(res, tokenAt);
    return parseToken(res.body, tokenAt);
  }
}

function bearerChallenge(challenge: Challenge, at: Step): BearerChallenge {
  const realm = challenge.params['realm'];
  let url: URL;
  try {
    url = new URL(realm ?? '');
  } catch {
    throw registryError('REGISTRY_AUTH_FAILED', at, `the registry's Bearer challenge has no usable realm (${realm ?? 'none'})`);
  }
  const { service, scope } = challenge.params;
  return { realm: url, ...(service === undefined ? {} : { service }), ...(scope === undefined ? {} : { scope }) };
}

function missingCredentials(at: Step): AppError {
  return registryError(
    'REGISTRY_AUTH_FAILED',
    at,
    'the registry asks for a login and no credentials were found: give --username with --password-stdin, set PORTCULLIS_REGISTRY_USERNAME and PORTCULLIS_REGISTRY_PASSWORD, or log in with docker login',
  );
}

function parseToken(body: Buffer, at: Step): { header: string; expires: number } {
  let parsed: { token?: unknown; access_token?: unknown; expires_in?: unknown };
  try {
    parsed = JSON.parse(body.toString('utf8')) as typeof parsed;
  } catch {
    throw registryError('REGISTRY_FAILED', at, 'the token service did not answer JSON');
  }
  const token = typeof parsed.token === 'string' && parsed.token ? parsed.token : parsed.access_token;
  if (typeof token !== 'string' || !token) throw registryError('REGISTRY_FAILED', at, 'the token service answered without a token');
  // The token spec's default lifetime is 60 s when expires_in is absent.
  const seconds = typeof parsed.expires_in === 'number' && parsed.expires_in > 0 ? parsed.expires_in : 60;
  return { header: `Bearer ${token}`, expires: Date.now() + Math.max(seconds * 1000 - TOKEN_MARGIN_MS, 1000) };
}

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

export function headerOf(res: HttpResponse, name: string): string | undefined {
  const value = res.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
