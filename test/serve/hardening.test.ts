import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { mkdir, rename, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import Koa from 'koa';
import { pino } from 'pino';
import { loadBundle, writeTarGz } from '../../src/bundle/index.js';
import { errorEnvelope } from '../../src/serve/error-middleware.js';
import { mintToken, openStore } from '../../src/store/index.js';
import { tinyBundle } from '../helpers/bundles.js';
import { waitFor } from '../helpers/processes.js';
import { goldenPolicyBundle, startTestServer, withFile, type TestServer } from '../helpers/server.js';

// Each case here is a defect found by probing the server with hostile input
// (issue 16); the server runs as `portcullis serve` starts it.

const JSON_TYPE = { 'Content-Type': 'application/json' };
const DIGEST = `sha256:${'a'.repeat(64)}`;
const DENY = '/v1/data/portcullis/image/pinned/deny';

async function post(url: string, body: string | Uint8Array, headers: Record<string, string> = JSON_TYPE) {
  const res = await fetch(url, { method: 'POST', body: typeof body === 'string' ? new TextEncoder().encode(body) : body, headers });
  const text = await res.text();
  let json: { code?: string; message?: string; [key: string]: unknown } = {};
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    // not JSON
  }
  return { status: res.status, text, json, headers: res.headers };
}

const deep = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

/** The JSON bodies of every POST route that takes one, with `value` (JSON text) where a client controls a value. */
function bodies(value: string): [path: string, body: string][] {
  return [
    ['/v1/check', `{"reports":[${value}]}`],
    [DENY, `{"input":{"images":[${value}]}}`],
    ['/v1/admission', `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","operation":"CREATE","object":${value}}}`],
    ['/v1/reports', `{"image":"registry.example/app@${DIGEST}","report":${value}}`],
    ['/v1/gatekeeper/provider', `{"apiVersion":"externaldata.gatekeeper.sh/v1beta1","kind":"ProviderRequest","request":{"keys":[${value}]}}`],
    ['/status', `{"labels":{"id":"agent-1","x":${value}}}`],
    ['/logs', `[{"labels":{"id":"agent-1"},"timestamp":"2026-11-28T12:00:00Z","input":${value}}]`],
    ['/v1/inventory?cluster=c1&new_cluster=true', `{"apiVersion":"v1","kind":"List","items":[${value}]}`],
  ];
}

describe('hardened serve: hostile bodies', () => {
  let app: TestServer;
  before(async () => {
    app = await startTestServer({ bundles: { policy: await goldenPolicyBundle(), tiny: tinyBundle('r1') } });
  });
  after(() => app.close());

  /** Every route whose answer to its body is not a 400 naming `problem`, with what it answered instead. */
  async function notRefused(value: string, problem: RegExp, encode = (body: string) => new TextEncoder().encode(body)): Promise<string[]> {
    const wrong: string[] = [];
    for (const [path, body] of bodies(value)) {
      const res = await post(`${app.url}${path}`, encode(body));
      if (res.status !== 400 || !problem.test(res.text)) wrong.push(`${path}: ${res.status} ${res.text.slice(0, 200)}`);
    }
    return wrong;
  }

  it('refuses invalid UTF-8 inside a JSON body with 400 on every route, never replacing it', async () => {
    const latin1 = (body: string) => Buffer.from(body.replace('\u0001', '\u00ff'), 'latin1');
    assert.deepEqual(await notRefused('"\u0001"', /UTF-8/, latin1), []);
  });

  it('refuses 5,000 levels of nesting with 400 naming it on every route, never a stack overflow', async () => {
    assert.deepEqual(await notRefused(deep(5000), /nesting deeper than 128 levels/), []);
  });

  it('refuses a lone surrogate escape with 400 naming it, where the policy would have failed with 500', async () => {
    assert.deepEqual(await notRefused('"\\ud800"', /lone surrogate/), []);
  });

  it('refuses a 20 MiB string for the policy with 413, inside the request limit but past what the Wasm heap can take', async () => {
    const res = await post(`${app.url}${DENY}`, JSON.stringify({ input: { images: [`${'a'.repeat(20 * 1024 * 1024)}:latest`] } }));
    assert.equal(res.status, 413, res.text.slice(0, 300));
    assert.equal(res.json.code, 'INPUT_TOO_LARGE');
    assert.match(res.json.message ?? '', /limits\.max_input_bytes/);
    // The server is fine afterwards.
    const small = await post(`${app.url}${DENY}`, JSON.stringify({ input: { images: ['nginx:latest'] } }));
    assert.equal(small.status, 200, small.text);
  });

  it('refuses a batch of millions of wrong items with its first error, not millions of them', async () => {
    const res = await post(`${app.url}/logs`, `[${Array(2_000_000).fill('0').join(',')}]`);
    assert.equal(res.status, 400);
    assert.equal((res.json['errors'] as unknown[]).length, 1);
    assert.equal((await fetch(`${app.url}/health`)).status, 200);
  });

  it('keeps a deep but allowed decision-log event queryable: nesting is checked at ingestion against the store', async () => {
    const nested = (levels: number): unknown => (levels === 0 ? 1 : { a: nested(levels - 1) });
    const event = (input: unknown) => [{ labels: { id: 'agent-deep' }, timestamp: '2026-11-28T12:00:00Z', decision_id: 'd', path: 'p', input }];
    const refused = await post(`${app.url}/logs`, JSON.stringify(event(nested(1500))));
    assert.equal(refused.status, 400, refused.text.slice(0, 300));
    assert.match(refused.text, /nesting deeper than/);
    const stored = await post(`${app.url}/logs`, JSON.stringify(event(nested(120))));
    assert.equal(stored.status, 200, stored.text.slice(0, 300));
    for (const query of ['input.a.a=1', 'revision=x', 'agent=agent-deep']) {
      const res = await fetch(`${app.url}/v1/decisions?${query}`);
      assert.equal(res.status, 200, `${query}: ${await res.text()}`);
    }
  });
});

describe('hardened serve: limits, methods and aborted clients', () => {
  let app: TestServer;
  before(async () => {
    // The snapshot limit is lowered so a chunked body past it stays small.
    app = await startTestServer({ bundles: { policy: await goldenPolicyBundle() }, yaml: 'inventory:\n  workers: 0\n  max_body_bytes: 2097152\n' });
  });
  after(() => app.close());

  /** POSTs a chunked body (no Content-Length) of about `bytes`, and resolves with the status, or the error if the connection was reset. */
  function chunked(path: string, bytes: number): Promise<{ status?: number; body?: string; error?: string }> {
    return new Promise((resolve) => {
      const req = httpRequest(`${app.url}${path}`, { method: 'POST', headers: { ...JSON_TYPE, 'Transfer-Encoding': 'chunked' } });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      let done = false;
      req.on('response', (res) => {
        done = true;
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', (err) => {
        if (!done) resolve({ error: (err as NodeJS.ErrnoException).code ?? err.message });
      });
      req.write('{"input":"');
      const pump = () => {
        while (!done && sent < bytes) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        if (!done) req.end('"}');
      };
      pump();
    });
  }

  it('answers an oversized chunked body with 413 and a JSON error, not a connection reset', async () => {
    const MiB = 1024 * 1024;
    // Just past each route's default limit: 64 MiB for reports, 8 MiB for AdmissionReviews, 1 MiB for ProviderRequests.
    const cases: [string, number][] = [
      ['/v1/check', 66 * MiB],
      [DENY, 66 * MiB],
      ['/v1/reports', 66 * MiB],
      ['/v1/admission', 10 * MiB],
      ['/v1/gatekeeper/provider', 3 * MiB],
      ['/v1/inventory?cluster=c1&new_cluster=true', 3 * MiB],
    ];
    const wrong: string[] = [];
    for (const [path, bytes] of cases) {
      const res = await chunked(path, bytes);
      if (res.status !== 413 || !/larger than/.test(res.body ?? '')) wrong.push(`${path}: ${JSON.stringify(res).slice(0, 200)}`);
    }
    assert.deepEqual(wrong, []);
  });

  it('answers unknown methods on known routes with 405 and Allow, not 501', async () => {
    const cases: [method: string, path: string, allow: RegExp][] = [
      ['PROPFIND', '/v1/check', /POST/],
      ['PURGE', '/bundles/policy', /GET/],
      ['MKCOL', DENY, /POST/],
      ['PATCH', '/health', /GET/],
      ['DELETE', '/v2/', /GET/],
      ['PUT', '/v2/bundles/policy/manifests/latest', /GET/],
      ['DELETE', '/v1/inventory', /GET.*POST|POST.*GET/],
      ['POST', '/v1/findings', /GET/],
      ['PUT', '/v1/reports/kubernetes', /GET/],
    ];
    for (const [method, path, allow] of cases) {
      const res = await fetch(`${app.url}${path}`, { method });
      assert.equal(res.status, 405, `${method} ${path}: ${await res.text()}`);
      assert.match(res.headers.get('allow') ?? '', allow, `${method} ${path}`);
    }
  });

  it('logs a client that disconnects mid-body at debug level, not as an internal error', async () => {
    const { port } = new URL(app.url);
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(`POST ${DENY} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"input":`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.destroy();
    const refused = await waitFor(
      () => app.logs().find((l) => l['code'] === 'REQUEST_ABORTED'),
      10_000,
      () => JSON.stringify(app.logs().slice(-5)),
    );
    assert.equal(refused.level, 'debug');
    assert.deepEqual(
      app.logs().filter((l) => l.level === 'error'),
      [],
    );
  });
});

describe('hardened serve: auth by path variants', () => {
  let app: TestServer;
  let token: string;
  before(async () => {
    app = await startTestServer({ bundles: { tiny: tinyBundle('t1'), other: tinyBundle('o1', ['other']) }, yaml: 'auth:\n  required: true\n' });
    const store = await openStore({ driver: 'sqlite', path: join(app.dir, 'state', 'portcullis.db') });
    const minted = mintToken({ name: 'tiny-and-admin', bundles: ['tiny'], scopes: ['bundles', 'admin'] });
    await store.createToken(minted.record);
    await store.close();
    token = minted.token;
  });
  after(() => app.close());

  it('never serves a bundle outside the token, however the path is spelled', async () => {
    const get = (path: string) => fetch(`${app.url}${path}`, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal((await get('/bundles/tiny')).status, 200);
    assert.equal((await get('/bundles/other')).status, 403);
    const variants = [
      '/BUNDLES/other',
      '/Bundles/other',
      '/bundles/OTHER',
      '/%62undles/other',
      '/bundles/%6Fther',
      '/bundles/%6fther.tar.gz',
      '//bundles/other',
      '/bundles//other',
      '/./bundles/other',
      '/bundles/./other',
      '/tiny/../bundles/other',
      '/bundles/tiny/../other',
      '/bundles/%2e%2e/other',
      '/bundles/other/',
      '/bundles/other.tar.gz',
      // The OCI distribution API over the same bundles.
      '/v2/bundles/other/manifests/latest',
      '/V2/bundles/other/manifests/latest',
      '/v2/BUNDLES/other/manifests/latest',
      '/v2/bundles/%6Fther/manifests/latest',
      '//v2//bundles/other/manifests/latest/',
      '/v2/bundles/tiny/../other/manifests/latest',
      '/v2/bundles/other/tags/list',
    ];
    for (const path of variants) {
      const res = await get(path);
      assert.notEqual(res.status, 200, `${path} was served`);
      assert.ok(res.status >= 400 && res.status < 500, `${path}: ${res.status}`);
    }
    // Equivalent spellings of what the token does cover are served, so normalising is not refusing.
    for (const path of ['/bundles/%74iny', '//bundles/tiny', '/bundles/tiny/', '/v2/', '/v2/bundles/%74iny/manifests/latest', '/v2/bundles/tiny/tags/list/']) {
      assert.equal((await get(path)).status, 200, path);
    }
  });
});

describe('hardened serve: slow clients', () => {
  let app: TestServer;
  before(async () => {
    app = await startTestServer({ yaml: 'server:\n  timeouts:\n    headers_seconds: 1\n    request_seconds: 2\n    idle_seconds: 1\n' });
  });
  after(() => app.close());

  it('closes connections that never finish their headers or their body', async () => {
    const { port } = new URL(app.url);
    const open = (first: string): Promise<Socket> =>
      new Promise((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1', () => {
          socket.write(first);
          resolve(socket);
        });
        socket.on('error', () => undefined);
        socket.once('error', reject);
      });
    const stalled = [
      ...(await Promise.all(Array.from({ length: 300 }, () => open('GET /health HTTP/1.1\r\nHost: x\r\n')))),
      ...(await Promise.all(Array.from({ length: 20 }, () => open(`POST ${DENY} HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"inp`)))),
    ];
    const closed = new Set<Socket>();
    for (const socket of stalled) socket.once('close', () => closed.add(socket));
    await waitFor(
      () => (closed.size === stalled.length ? true : undefined),
      20_000,
      () => `${stalled.length - closed.size} of ${stalled.length} stalled connections still open`,
    );
    assert.equal((await fetch(`${app.url}/health`)).status, 200);
  });
});

describe('hardened serve: publishing', () => {
  let app: TestServer;
  let good: Uint8Array;
  before(async () => {
    good = await goldenPolicyBundle();
    app = await startTestServer({ bundles: { policy: good, tiny: tinyBundle('t1') } });
  });
  after(() => app.close());

  /** Replaces a bundle file the way a build does (a new file renamed over it), then rescans. */
  async function publish(name: string, bytes: Uint8Array): Promise<void> {
    const temp = join(app.dir, `.${name}.${Date.now()}`);
    await writeFile(temp, bytes);
    await rename(temp, join(app.bundlesDir, `${name}.tar.gz`));
    await app.server.registry.refresh();
  }
  const state = async (name: string) =>
    ((await (await fetch(`${app.url}/v1/bundles`)).json()) as { bundles: { name: string; revision?: string; lastError?: string }[] }).bundles.find(
      (b) => b.name === name,
    );
  const decide = () => post(`${app.url}${DENY}`, JSON.stringify({ input: { images: ['nginx:latest'] } }));

  it('never publishes a Wasm module that does not instantiate; the last good revision stays, with the reason', async () => {
    const garbage = withFile(good, '/policy.wasm', new TextEncoder().encode('this is not WebAssembly'));
    const truncated = withFile(good, '/policy.wasm', loadBundle(good).wasm.get('/policy.wasm')!.subarray(0, 4000));
    for (const broken of [garbage, truncated]) {
      await publish('policy', broken);
      const s = await state('policy');
      assert.equal(s?.revision, '8bba0879a423bc31', 'the good revision is still served');
      assert.match(s?.lastError ?? '', /WebAssembly|Wasm/, JSON.stringify(s));
      assert.equal((await decide()).status, 200);
    }
  });

  it('clears a rejected file from /v1/bundles once the good file is back', async () => {
    await publish('tiny', tinyBundle('t2'));
    await publish('tiny', new TextEncoder().encode('not a gzip archive'));
    assert.ok((await state('tiny'))?.lastError, 'the bad file is reported');
    await publish('tiny', tinyBundle('t2'));
    const s = await state('tiny');
    assert.equal(s?.revision, 't2');
    assert.equal(s?.lastError, undefined, JSON.stringify(s));
  });
});

describe('hardened serve: a bundle folder that cannot be listed', () => {
  it('keeps serving the last good bundles, and logs why, instead of withdrawing them all', async () => {
    const app = await startTestServer({ bundles: { tiny: tinyBundle('t1') }, symlinkBundles: true });
    try {
      // The folder's path now names a regular file (ENOTDIR), swapped in with one rename.
      const file = join(app.dir, 'not-a-folder');
      await writeFile(file, 'a file where the folder was');
      await symlink(file, `${app.bundlesDir}.new`);
      await rename(`${app.bundlesDir}.new`, app.bundlesDir);
      await app.server.registry.refresh();
      assert.equal((await fetch(`${app.url}/bundles/tiny`)).status, 200);
      assert.ok(
        app.logs().some((l) => l.level === 'error' && /cannot be listed/.test(l.msg)),
        JSON.stringify(app.logs().slice(-3)),
      );
    } finally {
      await app.close();
    }
  });
});

describe('hardened serve: configured limits reach evaluation', () => {
  it('evaluates a bundle published under a raised limits.max_entries', async () => {
    const files = loadBundle(tinyBundle('many')).files;
    const extra = Array.from({ length: 10_001 }, (_, i) => ({ path: `/tiny/extra/f${i}.txt`, bytes: new Uint8Array([0x41]) }));
    const app = await startTestServer({ bundles: { tiny: writeTarGz([...files, ...extra]) }, yaml: 'limits:\n  max_entries: 20000\n' });
    try {
      const res = await post(`${app.url}/v1/data/tiny/value`, '{}');
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json['result'], 'many');
    } finally {
      await app.close();
    }
  });
});

describe('hardened serve: start-up', () => {
  it('suggests --listen 127.0.0.1:0 when the port is taken', async () => {
    const first = await startTestServer();
    try {
      const dir = join(first.dir, 'second');
      await mkdir(dir);
      const { port } = new URL(first.url);
      const { loadConfig } = await import('../../src/config/index.js');
      const { startServer } = await import('../../src/serve/index.js');
      const config = await loadConfig(undefined, { listen: `127.0.0.1:${port}`, bundlesDir: dir, stateDir: join(dir, 'state') });
      await assert.rejects(startServer(config, pino({ level: 'silent' })), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'LISTEN_FAILED');
        assert.match(err.message, /--listen 127\.0\.0\.1:0/);
        return true;
      });
    } finally {
      await first.close();
    }
  });
});

describe('hardened serve: 5xx logs', () => {
  it('logs the error object, with its stack and cause, not only its message', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    const app = new Koa();
    app.use(errorEnvelope(pino({ level: 'info' }, sink)));
    app.use(() => {
      throw new Error('the store went away', { cause: new Error('ECONNRESET from the database') });
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as { port: number }).port}/`);
      assert.equal(res.status, 500);
      assert.deepEqual(await res.json(), { code: 'INTERNAL', message: 'internal error' });
      const err = lines.find((l) => l['msg'] === 'request failed')?.['err'] as { stack?: string } | undefined;
      assert.match(err?.stack ?? '', /the store went away/);
      assert.match(err?.stack ?? '', /caused by: Error: ECONNRESET from the database/);
    } finally {
      server.close();
    }
  });
});
