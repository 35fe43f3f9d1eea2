import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import request from 'supertest';
import { DEFAULT_READ_LIMITS } from '../../src/bundle/index.js';
import { BundleRegistry, createApp } from '../../src/serve/index.js';
import { tinyBundle } from '../helpers/bundles.js';

const logger = pino({ level: 'silent' });
const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function appWith(bundles: Record<string, Uint8Array>) {
  const registry = new BundleRegistry({ limits: DEFAULT_READ_LIMITS, logger, rescanIntervalMs: 60_000 });
  for (const [name, bytes] of Object.entries(bundles)) assert.equal(await registry.offer(name, bytes, 'test'), true);
  return { registry, server: createApp({ registry, logger }).callback() };
}

function binary(res: request.Response, done: (err: Error | null, body: unknown) => void): void {
  const stream = res as unknown as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => done(null, Buffer.concat(chunks)));
}

describe('the OCI distribution API over served bundles (/v2/)', () => {
  it('resolves bundles/<name>:latest to a manifest whose one tar+gzip layer is the bundle, byte for byte', async () => {
    const bytes = tinyBundle('r1');
    const { server } = await appWith({ tiny: bytes });
    const version = await request(server).get('/v2/');
    assert.equal(version.status, 200);
    assert.equal(version.headers['docker-distribution-api-version'], 'registry/2.0');

    const head = await request(server).head('/v2/bundles/tiny/manifests/latest');
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-type'], 'application/vnd.oci.image.manifest.v1+json');
    const digest = head.headers['docker-content-digest'] as string;
    const got = await request(server).get('/v2/bundles/tiny/manifests/latest').buffer(true).parse(binary);
    const manifestBytes = got.body as Buffer;
    assert.equal(sha256(manifestBytes), digest);
    assert.equal(Number(head.headers['content-length']), manifestBytes.byteLength);
    const manifest = JSON.parse(manifestBytes.toString('utf8'));
    assert.equal(manifest.layers[0].mediaType, 'application/vnd.oci.image.layer.v1.tar+gzip');
    assert.equal(manifest.layers[0].digest, sha256(bytes));
    assert.equal(manifest.annotations['org.opencontainers.image.revision'], 'r1');
    assert.equal(manifest.annotations['org.opencontainers.image.created'], undefined, 'a replica must not stamp its own time');

    const byDigest = await request(server).get(`/v2/bundles/tiny/manifests/${digest}`).buffer(true).parse(binary);
    assert.deepEqual(byDigest.body, manifestBytes);
    const layer = await request(server)
      .get(`/v2/bundles/tiny/blobs/${sha256(bytes)}`)
      .buffer(true)
      .parse(binary);
    assert.deepEqual(new Uint8Array(layer.body as Buffer), bytes);
    const config = await request(server).get(`/v2/bundles/tiny/blobs/${manifest.config.digest}`);
    assert.equal(config.text ?? (config.body as Buffer).toString(), '{}');
  });

  it('gives the same manifest digest for the same bytes, so replicas agree', async () => {
    const bytes = tinyBundle('same');
    const a = await appWith({ tiny: bytes });
    const b = await appWith({ tiny: bytes });
    const digests = await Promise.all(
      [a, b].map(async ({ server }) => (await request(server).head('/v2/bundles/tiny/manifests/latest')).headers['docker-content-digest']),
    );
    assert.equal(digests[0], digests[1]);
  });

  it('answers unknown names, tags and digests with the error shape registry clients read, and refuses writes', async () => {
    const { server } = await appWith({ tiny: tinyBundle('r1') });
    const unknownTag = await request(server).get('/v2/bundles/tiny/manifests/v1');
    assert.equal(unknownTag.status, 404);
    assert.equal(unknownTag.body.errors[0].code, 'MANIFEST_UNKNOWN');
    assert.equal((await request(server).get('/v2/bundles/nope/manifests/latest')).status, 404);
    const blob = await request(server).get(`/v2/bundles/tiny/blobs/sha256:${'0'.repeat(64)}`);
    assert.equal(blob.status, 404);
    assert.equal(blob.body.errors[0].code, 'BLOB_UNKNOWN');
    const upload = await request(server).post('/v2/bundles/tiny/blobs/uploads/');
    assert.equal(upload.status, 405);
    assert.equal(upload.body.errors[0].code, 'UNSUPPORTED');
    const tags = await request(server).get('/v2/bundles/tiny/tags/list');
    assert.deepEqual(tags.body, { name: 'bundles/tiny', tags: ['latest'] });
  });

  it('serves what a source offered only after the same checks as a file, keeping the last good bytes', async () => {
    const { registry } = await appWith({ tiny: tinyBundle('good') });
    assert.equal(await registry.offer('tiny', new TextEncoder().encode('not a bundle'), 'test'), false);
    const state = registry.states().find((s) => s.name === 'tiny');
    assert.equal(state?.revision, 'good');
    assert.match(state?.lastError ?? '', /gzip/);
    assert.equal(await registry.offer('tiny', tinyBundle('good'), 'test'), true);
    assert.equal(registry.states().find((s) => s.name === 'tiny')?.lastError, undefined, 'the same good bytes again clear the error');
  });
});
