// The console's login: a token, checked like the API checks bearer tokens,
// exchanged for a signed cookie that names the token and when the login
// ends. Every request re-reads the token, so revoking it ends the login at
// once; the cookie itself never holds the token.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { TokenRecord } from '../store/index.js';

export const COOKIE_NAME = 'portcullis_console';
/** Where the cookie key is kept in the store, so replicas and restarts honour each other's logins. */
export const COOKIE_KEY_STATE = 'console.cookie_key';

export interface Login {
  readonly tokenId: string;
  /** Milliseconds since the epoch. */
  readonly expires: number;
}

const VALUE = /^([0-9a-f]{12})\.(\d{13})\.([A-Za-z0-9_-]{43})$/;

/** Signs and reads login cookies with one HMAC-SHA256 key. */
export class LoginCookies {
  private readonly key: Buffer;

  constructor(key: Uint8Array) {
    if (key.byteLength < 32) throw new Error('the console cookie key must be at least 32 bytes');
    this.key = Buffer.from(key);
  }

  static newKey(): string {
    return randomBytes(32).toString('hex');
  }

  issue(login: Login): string {
    const body = `${login.tokenId}.${String(login.expires).padStart(13, '0')}`;
    return `${body}.${this.mac(body)}`;
  }

  /** The login a cookie value carries, if its signature holds and it has not expired. */
  read(value: string | undefined, now: Date): Login | undefined {
    const match = value === undefined ? null : VALUE.exec(value);
    if (!match) return undefined;
    const [, tokenId, expires, mac] = match as unknown as [string, string, string, string];
    const expected = Buffer.from(this.mac(`${tokenId}.${expires}`));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const at = Number(expires);
    return at > now.getTime() ? { tokenId, expires: at } : undefined;
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}

/** Why a token may not open the console (it needs the read or admin scope), or undefined when it may. */
export function consoleDenial(token: TokenRecord): string | undefined {
  if (token.revokedAt !== undefined) return 'the token has been revoked';
  if (!token.scopes.includes('read') && !token.scopes.includes('admin')) return `token '${token.name}' does not have the read scope the console needs`;
  return undefined;
}

export interface CookieOptions {
  readonly secure: boolean;
  /** Seconds; 0 clears the cookie. */
  readonly maxAge: number;
}

/** A Set-Cookie value: HttpOnly, SameSite=Strict, scoped to /ui, Secure under TLS. */
export function setCookie(value: string, options: CookieOptions): string {
  return [
    `${COOKIE_NAME}=${value}`,
    'Path=/ui',
    `Max-Age=${Math.max(0, Math.floor(options.maxAge))}`,
    'HttpOnly',
    'SameSite=Strict',
    ...(options.secure ? ['Secure'] : []),
  ].join('; ');
}

/** The console cookie's value in a Cookie header. */
export function cookieFrom(header: string | undefined): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === COOKIE_NAME) return rest.join('=');
  }
  return undefined;
}

/** A same-site path to return to after login; anything else goes to the overview. */
export function safeNext(next: string | undefined): string {
  return next !== undefined && /^\/ui\/[^\\]*$/.test(next) && !next.startsWith('/ui//') && next.length < 2048 ? next : '/ui/';
}
