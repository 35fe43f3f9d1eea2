import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COOKIE_NAME, LoginCookies, consoleDenial, cookieFrom, safeNext, setCookie } from '../../src/console/index.js';
import type { TokenRecord } from '../../src/store/index.js';

const KEY = Buffer.alloc(32, 7);
const NOW = new Date('2026-11-01T00:00:00Z');
const token = (over: Partial<TokenRecord>): TokenRecord => ({
  id: '0123456789ab',
  name: 'viewer',
  hash: '00',
  bundles: ['*'],
  scopes: ['read'],
  createdAt: NOW,
  ...over,
});

describe('console login cookies', () => {
  const cookies = new LoginCookies(KEY);

  it('round-trips a login until it expires', () => {
    const value = cookies.issue({ tokenId: '0123456789ab', expires: NOW.getTime() + 60_000 });
    assert.deepEqual(cookies.read(value, NOW), { tokenId: '0123456789ab', expires: NOW.getTime() + 60_000 });
    assert.equal(cookies.read(value, new Date(NOW.getTime() + 60_000)), undefined, 'expired at its expiry');
  });

  it('refuses a cookie whose token, expiry or signature was changed, or signed with another key', () => {
    const value = cookies.issue({ tokenId: '0123456789ab', expires: NOW.getTime() + 60_000 });
    const [id, expires, mac] = value.split('.') as [string, string, string];
    assert.equal(cookies.read(`ffffffffffff.${expires}.${mac}`, NOW), undefined);
    assert.equal(cookies.read(`${id}.${Number(expires) + 1}.${mac}`, NOW), undefined);
    assert.equal(cookies.read(`${id}.${expires}.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`, NOW), undefined);
    assert.equal(new LoginCookies(Buffer.alloc(32, 8)).read(value, NOW), undefined);
    for (const junk of [undefined, '', 'x', `${value}.x`, `${id}.${expires}`]) assert.equal(cookies.read(junk, NOW), undefined, String(junk));
  });

  it('needs a key of at least 256 bits', () => {
    assert.throws(() => new LoginCookies(Buffer.alloc(16)), /at least 32 bytes/);
    assert.equal(LoginCookies.newKey().length, 64);
  });

  it('lets read and admin tokens in, and no revoked or other-scoped one', () => {
    assert.equal(consoleDenial(token({})), undefined);
    assert.equal(consoleDenial(token({ scopes: ['admin'] })), undefined);
    assert.match(consoleDenial(token({ scopes: ['bundles', 'status', 'logs'] })) ?? '', /does not have the read scope/);
    assert.match(consoleDenial(token({ revokedAt: NOW })) ?? '', /revoked/);
  });

  it('sets the cookie HttpOnly, SameSite=Strict, on /ui, Secure only under TLS, and clears it with Max-Age=0', () => {
    assert.equal(setCookie('v', { secure: false, maxAge: 1800 }), `${COOKIE_NAME}=v; Path=/ui; Max-Age=1800; HttpOnly; SameSite=Strict`);
    assert.equal(setCookie('v', { secure: true, maxAge: 1800 }), `${COOKIE_NAME}=v; Path=/ui; Max-Age=1800; HttpOnly; SameSite=Strict; Secure`);
    assert.match(setCookie('', { secure: false, maxAge: 0 }), /Max-Age=0/);
  });

  it('reads its cookie among others', () => {
    assert.equal(cookieFrom(`a=1; ${COOKIE_NAME}=abc.def; b=2`), 'abc.def');
    assert.equal(cookieFrom('a=1'), undefined);
    assert.equal(cookieFrom(undefined), undefined);
  });

  it('returns after login only to a console path on this site', () => {
    assert.equal(safeNext('/ui/findings?severity_at_least=HIGH'), '/ui/findings?severity_at_least=HIGH');
    for (const bad of [undefined, 'https://evil.example/', '//evil.example/ui/', '/ui//evil.example', '/v1/findings', '/ui\\x', `/ui/${'a'.repeat(3000)}`]) {
      assert.equal(safeNext(bad), '/ui/', String(bad).slice(0, 40));
    }
  });
});
