import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import request from 'supertest';
import { DEFAULT_READ_LIMITS } from '../../src/bundle/index.js';
import { BundleRegistry, createApp } from '../../src/serve/index.js';
import { tinyBundle } from '../helpers/bundles.js';

async function appOver(files: Record<string, Uint8Array>) {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-metrics-'));
  for (const [name, bytes] of Object.entries(files)) await writeFile(join(dir, name), bytes);
  const logger = pino({ level: 'silent' });
  const registry = new BundleRegistry({ dir, limits: DEFAULT_READ_LIMITS, logger, rescanIntervalMs: 60_000 });
  await registry.refresh();
  return { registry, server: createApp({ registry, logger }).callback() };
}

describe('/metrics and /ready', () => {
  it('exposes requests by route and status, bundle sizes with revisions and held long polls', async () => {
    const { server } = await appOver({ 'tiny.tar.gz': tinyBundle('r7') });
    await request(server).get('/bundles/tiny');
    await request(server).get('/bundles/nope');
    const res = await request(server).get('/metrics');
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'] ?? '', /^text\/plain; version=0\.0\.4/);
    assert.match(res.text, /portcullis_http_requests_total\{route="\/bundles\/:name",method="GET",status="200"\} 1/);
    assert.match(res.text, /portcullis_http_requests_total\{route="\/bundles\/:name",method="GET",status="404"\} 1/);
    assert.match(res.text, /portcullis_bundle_size_bytes\{bundle="tiny",revision="r7"\} \d+/);
    assert.match(res.text, /portcullis_long_poll_held_requests 0/);
    assert.match(res.text, /# TYPE portcullis_bundle_publish_to_delivery_seconds histogram/);
    assert.match(res.text, /portcullis_process_resident_memory_bytes/);
  });

  it('is ready once a bundle is published, and says why not before', async () => {
    const empty = await appOver({});
    const notReady = await request(empty.server).get('/ready');
    assert.equal(notReady.status, 503);
    assert.deepEqual(notReady.body, { code: 'NOT_READY', message: 'no bundle is published yet' });
    const ready = await appOver({ 'tiny.tar.gz': tinyBundle('r1') });
    assert.deepEqual((await request(ready.server).get('/ready')).body, { bundles: 1 });
  });
});
