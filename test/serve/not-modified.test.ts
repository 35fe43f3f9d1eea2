import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, request, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { DEFAULT_READ_LIMITS } from '../../src/bundle/index.js';
import { BundleRegistry, createApp } from '../../src/serve/index.js';
import { LongPollWaiters } from '../../src/serve/long-poll.js';
import { ServerMetrics } from '../../src/serve/metrics.js';
import { withNotModified } from '../../src/serve/not-modified.js';
import { mintToken, openStore, type NewToken, type Store } from '../../src/store/index.js';
import { tinyBundle } from '../helpers/bundles.js';

const logger = pino({ level: 'silent' });

interface Reply {
  readonly status: number;
  /** Raw header lines as sent, in order, without Date (which differs between any two responses). */
  readonly headers: readonly string[];
  readonly body: string;
}

/** The koa app behind the fast path, with a count of the requests the fast path handed on. */
interface Setup {
  readonly registry: BundleRegistry;
  readonly metrics: ServerMetrics;
  /** Listens with the fast path in front of koa, as `portcullis serve` does. */
  readonly fast: string;
  /** Listens with koa alone, for the reference response. */
  readonly koa: string;
  readonly etag: string;
  handedOn: number;
  close(): Promise<void>;
}

async function setup(tokens?: Store): Promise<Setup> {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-not-modified-'));
  await writeFile(join(dir, 'tiny.tar.gz'), tinyBundle('r1'));
  await writeFile(join(dir, 'other.tar.gz'), tinyBundle('o1', ['other']));
  const registry = new BundleRegistry({ dir, limits: DEFAULT_READ_LIMITS, logger, rescanIntervalMs: 60_000 });
  await registry.refresh();
  const waiters = new LongPollWaiters();
  const metrics = new ServerMetrics(registry, waiters);
  const fleet = tokens
    ? { store: tokens, authRequired: true, ingest: { maxBodyBytes: 1024, maxRatio: 10, maxDepth: 128 }, page: { defaultLimit: 10, maxLimit: 10 } }
    : undefined;
  const app = createApp({ registry, logger, waiters, metrics, maxLongPollSeconds: 1, ...(fleet ? { fleet } : {}) });
  const koa = app.callback();
  const handler = withNotModified(
    (req, res) => {
      s.handedOn++;
      void koa(req, res);
    },
    { registry, metrics, ...(tokens ? { tokens } : {}) },
  );
  const servers = [await listen(handler), await listen((req, res) => void koa(req, res))];
  const [fast, plain] = servers.map(urlOf) as [string, string];
  const s: Setup = {
    registry,
    metrics,
    fast,
    koa: plain,
    etag: registry.get('tiny')?.etag ?? assert.fail('tiny is not published'),
    handedOn: 0,
    close: async () => {
      registry.stop();
      waiters.releaseAll();
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    },
  };
  return s;
}

async function listen(handler: RequestListener): Promise<Server> {
  const server = createServer(handler).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return server;
}

const urlOf = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

/** One request on its own connection, read down to the raw header lines. */
function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        const raw = res.rawHeaders;
        const lines = raw.flatMap((name, i) => (i % 2 === 0 && name.toLowerCase() !== 'date' ? [`${name}: ${raw[i + 1]}`] : []));
        resolve({ status: res.statusCode ?? 0, headers: lines, body });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

async function count304(metrics: ServerMetrics): Promise<number> {
  const { values } = await metrics.requests.get();
  return values.find((v) => v.labels['route'] === '/bundles/:name' && v.labels['method'] === 'GET' && v.labels['status'] === '304')?.value ?? 0;
}

describe('304 fast path (auth off)', () => {
  let s: Setup;
  before(async () => {
    s = await setup();
  });
  after(() => s.close());

  it('answers a current If-None-Match itself, byte for byte as the bundles route does', async () => {
    const reference = await get(`${s.koa}/bundles/tiny`, { 'If-None-Match': s.etag });
    const fast = await get(`${s.fast}/bundles/tiny`, { 'If-None-Match': s.etag });
    assert.equal(s.handedOn, 0);
    assert.equal(reference.status, 304);
    assert.deepEqual(fast, reference);
    assert.deepEqual(fast.headers.slice(0, 2), [`ETag: ${s.etag}`, 'Cache-Control: no-transform']);
  });

  it('answers <name>.tar.gz, encoded names, weak and listed ETags, and ignores the query string', async () => {
    for (const [path, inm] of [
      ['/bundles/tiny.tar.gz', s.etag],
      ['/bundles/%74iny', s.etag],
      ['/bundles/tiny?mode=snapshot', s.etag],
      ['/bundles/tiny', `W/${s.etag}`],
      ['/bundles/tiny', `"other", ${s.etag}`],
    ] as const) {
      const res = await get(`${s.fast}${path}`, { 'If-None-Match': inm, Prefer: 'modes=snapshot,delta' });
      assert.equal(res.status, 304, `${path} ${inm}`);
    }
    assert.equal(s.handedOn, 0);
  });

  it('counts each 304 under the labels the metrics middleware uses', async () => {
    const before = await count304(s.metrics);
    await get(`${s.koa}/bundles/tiny`, { 'If-None-Match': s.etag });
    assert.equal(await count304(s.metrics), before + 1);
    await get(`${s.fast}/bundles/tiny`, { 'If-None-Match': s.etag });
    assert.equal(await count304(s.metrics), before + 2);
  });

  it('hands everything else to koa: stale or absent ETag, HEAD, long polls, unknown bundles, other paths', async () => {
    const cases: [string, Record<string, string>, string, number][] = [
      ['/bundles/tiny', { 'If-None-Match': '"stale"' }, 'GET', 200],
      ['/bundles/tiny', {}, 'GET', 200],
      ['/bundles/tiny', { 'If-None-Match': s.etag }, 'HEAD', 304],
      ['/bundles/tiny', { 'If-None-Match': s.etag, Prefer: 'modes=snapshot;wait=1' }, 'GET', 304],
      ['/bundles/nope', { 'If-None-Match': s.etag }, 'GET', 404],
      ['/bundles/tiny/', { 'If-None-Match': s.etag }, 'GET', 304],
      ['/v1/bundles', { 'If-None-Match': s.etag }, 'GET', 200],
    ];
    for (const [i, [path, headers, method, status]] of cases.entries()) {
      const res = await get(`${s.fast}${path}`, headers, method);
      assert.equal(res.status, status, `${method} ${path} ${JSON.stringify(headers)}`);
      assert.equal(s.handedOn, i + 1, `${method} ${path} ${JSON.stringify(headers)} was answered by the fast path`);
    }
  });
});

describe('304 fast path (auth.required: true)', () => {
  let s: Setup;
  let store: Store;
  const token = async (spec: Partial<NewToken> = {}) => {
    const minted = mintToken({ name: 'agent', bundles: ['*'], scopes: ['bundles'], ...spec });
    await store.createToken(minted.record);
    return { token: minted.token, id: minted.record.id };
  };
  const poll = (bearer: string | undefined, bundle = 'tiny') =>
    get(`${s.fast}/bundles/${bundle}`, {
      'If-None-Match': s.registry.get(bundle)?.etag ?? '',
      ...(bearer === undefined ? {} : { Authorization: `Bearer ${bearer}` }),
    });

  before(async () => {
    store = await openStore({ driver: 'sqlite', path: join(await mkdtemp(join(tmpdir(), 'portcullis-not-modified-store-')), 'portcullis.db') });
    s = await setup(store);
  });
  after(async () => {
    await s.close();
    await store.close();
  });

  it('answers a valid token that may download the bundle', async () => {
    const { token: agent } = await token();
    const { token: tinyOnly } = await token({ bundles: ['tiny'] });
    assert.equal((await poll(agent)).status, 304);
    assert.equal((await poll(tinyOnly)).status, 304);
    assert.equal(s.handedOn, 0);
    const reference = await get(`${s.koa}/bundles/tiny`, { 'If-None-Match': s.etag, Authorization: `Bearer ${agent}` });
    assert.deepEqual(await poll(agent), reference);
  });

  it('hands koa every request it must refuse: no, invalid, revoked and forbidden tokens', async () => {
    const { token: valid } = await token();
    const { token: revoked, id } = await token();
    await store.revokeToken(id, new Date());
    const { token: tinyOnly } = await token({ bundles: ['tiny'] });
    const { token: statusOnly } = await token({ scopes: ['status'] });
    const tampered = `${valid.slice(0, -2)}${valid.endsWith('A') ? 'BB' : 'AA'}`;
    const cases: [string | undefined, string, number][] = [
      [undefined, 'tiny', 401],
      ['pcl_nothing', 'tiny', 401],
      [tampered, 'tiny', 401],
      [revoked, 'tiny', 401],
      [tinyOnly, 'other', 403],
      [statusOnly, 'tiny', 403],
    ];
    for (const [i, [bearer, bundle, status]] of cases.entries()) {
      const res = await poll(bearer, bundle);
      assert.equal(res.status, status, `${bundle} with ${bearer?.slice(0, 16)}`);
      assert.equal(s.handedOn, i + 1);
    }
  });
});
