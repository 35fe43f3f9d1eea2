// The console's pages and login in-process, over a real SQLite store: hostile
// values from agents and bundles are shown as text, every page sends the
// strict CSP, and a login lasts only as long as its token.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Koa from 'koa';
import request from 'supertest';
import { CONTENT_SECURITY_POLICY, consoleMiddleware, type ConsoleDependencies } from '../../src/console/index.js';
import { isAppError } from '../../src/core/index.js';
import { mintToken, openStore, type Store } from '../../src/store/index.js';

const HOSTILE = '<script>alert(1)</script>';

describe('console pages', () => {
  let store: Store;
  const app = (login: boolean) => {
    const deps: ConsoleDependencies = {
      store,
      clock: () => new Date('2026-11-01T00:00:00Z'),
      bundles: () => [{ name: `b${HOSTILE}`, revision: `r${HOSTILE}`, roots: ['x'], entrypoints: ['x/allow'], signed: false, history: [] }],
      decisionLimits: { defaultLimit: 100, maxLimit: 1000 },
      ...(login ? { login: { expiryMs: 60_000, secure: true } } : {}),
      failure: (err) =>
        isAppError(err)
          ? { status: err.code === 'ROUTE_NOT_FOUND' ? 404 : err.code === 'FORBIDDEN' ? 403 : 400, code: err.code, message: err.message }
          : { status: 500, code: 'INTERNAL', message: 'internal error' },
    };
    const koa = new Koa();
    koa.use(consoleMiddleware(deps));
    koa.use((ctx) => {
      ctx.body = 'not the console';
    });
    return koa.callback();
  };

  before(async () => {
    store = await openStore({ driver: 'sqlite', path: join(await mkdtemp(join(tmpdir(), 'portcullis-console-')), 'store.db') });
    await store.recordStatus({
      agentId: `edge${HOSTILE}`,
      labels: { id: `edge${HOSTILE}`, team: HOSTILE },
      opaVersion: '1.10.0',
      receivedAt: new Date(),
      state: { bundles: {}, last_error: { message: HOSTILE } },
    });
  });
  after(async () => store?.close());

  it('shows agents and bundles with hostile names as text, under the strict CSP', async () => {
    for (const path of ['/ui/fleet', '/ui/bundles', '/ui/', '/ui/findings', '/ui/decisions']) {
      const res = await request(app(false)).get(path);
      assert.equal(res.status, 200, `${path}: ${res.text}`);
      assert.equal(res.headers['content-security-policy'], CONTENT_SECURITY_POLICY);
      assert.equal(res.headers['x-frame-options'], 'DENY');
      assert.doesNotMatch(res.text, /<script/, path);
    }
    assert.match((await request(app(false)).get('/ui/fleet')).text, /edge&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  });

  it('answers a bad filter with the API message on a page, an unknown page with 404, and leaves other paths alone', async () => {
    const bad = await request(app(false)).get('/ui/findings?severity_at_least=SEVERE');
    assert.equal(bad.status, 400);
    assert.match(bad.text, /&#39;severity_at_least&#39; must be one of UNKNOWN, NEGLIGIBLE, LOW, MEDIUM, HIGH, CRITICAL, got &#39;SEVERE&#39;/);
    assert.equal((await request(app(false)).get('/ui/nothing')).status, 404);
    assert.equal((await request(app(false)).post('/ui/findings')).status, 404);
    assert.equal((await request(app(false)).get('/v1/findings')).text, 'not the console');
    const empty = await request(app(false)).get('/ui/findings?namespace=&severity_at_least=HIGH');
    assert.equal(empty.status, 302);
    assert.equal(empty.headers['location'], '/ui/findings?severity_at_least=HIGH');
  });

  it('with a login: redirects to the form, signs in with a read token, and ends the login with the token', async () => {
    const { token, record } = mintToken({ name: 'viewer', bundles: ['*'], scopes: ['read'] });
    await store.createToken(record);
    const server = app(true);
    const anonymous = await request(server).get('/ui/fleet');
    assert.equal(anonymous.status, 302);
    assert.equal(anonymous.headers['location'], '/ui/login?next=%2Fui%2Ffleet');
    assert.doesNotMatch(anonymous.text, /edge/);
    const cross = await request(server).post('/ui/login').set('Origin', 'https://elsewhere.example').type('form').send({ token, next: '/ui/fleet' });
    assert.equal(cross.status, 403);
    const ok = await request(server).post('/ui/login').type('form').send({ token, next: '/ui/fleet' });
    assert.equal(ok.status, 303);
    assert.equal(ok.headers['location'], '/ui/fleet');
    const cookie = String(ok.headers['set-cookie']);
    assert.match(cookie, /^portcullis_console=[0-9a-f]{12}\.\d{13}\.[\w-]{43}; Path=\/ui; Max-Age=60; HttpOnly; SameSite=Strict; Secure$/);
    const value = cookie.split(';')[0] ?? '';
    assert.equal((await request(server).get('/ui/fleet').set('Cookie', value)).status, 200);
    await store.revokeToken(record.id, new Date());
    const revoked = await request(server).get('/ui/fleet').set('Cookie', value);
    assert.equal(revoked.status, 302);
    assert.match(String(revoked.headers['set-cookie']), /Max-Age=0/);
  });

  it('a form larger than 4 KiB or not form-encoded is refused before the token is looked at', async () => {
    const server = app(true);
    const big = await request(server)
      .post('/ui/login')
      .type('form')
      .send({ token: 'x'.repeat(5000) });
    assert.equal(big.status, 400);
    const json = await request(server).post('/ui/login').send({ token: 'x' });
    assert.equal(json.status, 400);
  });
});
