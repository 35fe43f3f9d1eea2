import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import request from 'supertest';
import { DEFAULT_READ_LIMITS, loadBundle } from '../../src/bundle/index.js';
import { BundleRegistry, createApp } from '../../src/serve/index.js';
import { tinyBundle } from '../helpers/bundles.js';

const logger = pino({ level: 'silent' });

describe('GET /bundles/<name>', () => {
  let registry: BundleRegistry;
  let server: ReturnType<ReturnType<typeof createApp>['callback']>;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'portcullis-serve-'));
    await writeFile(join(dir, 'tiny.tar.gz'), tinyBundle('r1'));
    registry = new BundleRegistry({ dir, limits: DEFAULT_READ_LIMITS, logger, rescanIntervalMs: 60_000 });
    await registry.refresh();
    server = createApp({ registry, logger }).callback();
  });
  after(() => registry.stop());

  it('serves the exact bytes with OPA-friendly headers', async () => {
    const res = await request(server).get('/bundles/tiny').buffer(true).parse(binary);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/gzip');
    assert.match(res.headers['etag'] ?? '', /^"[0-9a-f]{64}"$/);
    assert.equal(res.headers['content-encoding'], undefined);
    assert.equal(res.headers['cache-control'], 'no-transform');
    assert.equal(loadBundle(res.body as Buffer).manifest.revision, 'r1');
  });

  it('serves the same bundle under <name>.tar.gz', async () => {
    const a = await request(server).get('/bundles/tiny');
    const b = await request(server).get('/bundles/tiny.tar.gz');
    assert.equal(b.status, 200);
    assert.equal(a.headers['etag'], b.headers['etag']);
  });

  it('answers a current If-None-Match with 304 and echoes the ETag', async () => {
    const etag = (await request(server).get('/bundles/tiny')).headers['etag'] as string;
    const res = await request(server).get('/bundles/tiny').set('If-None-Match', etag);
    assert.equal(res.status, 304);
    assert.equal(res.headers['etag'], etag);
    assert.equal(res.text, '');
  });

  it('treats weak and listed ETags from proxies as matches', async () => {
    const etag = (await request(server).get('/bundles/tiny')).headers['etag'] as string;
    assert.equal((await request(server).get('/bundles/tiny').set('If-None-Match', `W/${etag}`)).status, 304);
    assert.equal((await request(server).get('/bundles/tiny').set('If-None-Match', `"other", ${etag}`)).status, 304);
  });

  it('answers a stale If-None-Match with the full bundle', async () => {
    const res = await request(server).get('/bundles/tiny').set('If-None-Match', '"stale"');
    assert.equal(res.status, 200);
  });

  it('gives a JSON 404 for an unknown bundle', async () => {
    const res = await request(server).get('/bundles/nope');
    assert.equal(res.status, 404);
    assert.deepEqual(res.body, { code: 'BUNDLE_NOT_FOUND', message: "bundle 'nope' is not published" });
  });

  it('gives a JSON 404 for an unknown route and 405 for a wrong method', async () => {
    const res = await request(server).get('/nothing/here');
    assert.equal(res.status, 404);
    assert.equal(res.body.code, 'ROUTE_NOT_FOUND');
    assert.equal((await request(server).post('/bundles/tiny')).status, 405);
  });

  it('answers HEAD with headers only', async () => {
    const res = await request(server).head('/bundles/tiny');
    assert.equal(res.status, 200);
    assert.match(res.headers['etag'] ?? '', /^"/);
  });

  it('reports health and the published bundles', async () => {
    assert.deepEqual((await request(server).get('/health')).body, {});
    const res = await request(server).get('/v1/bundles');
    assert.equal(res.body.bundles[0].name, 'tiny');
    assert.equal(res.body.bundles[0].revision, 'r1');
  });
});

/** Collects the raw body, which supertest would otherwise try to decode as text. */
function binary(res: request.Response, done: (err: Error | null, body: unknown) => void): void {
  const stream = res as unknown as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => done(null, Buffer.concat(chunks)));
}
