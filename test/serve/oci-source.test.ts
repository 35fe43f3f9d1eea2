import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { DEFAULT_READ_LIMITS } from '../../src/bundle/index.js';
import { MEDIA_TYPES } from '../../src/oci/index.js';
import { BundleRegistry } from '../../src/serve/index.js';
import { OciBundleSource } from '../../src/serve/oci-source.js';
import { tinyBundle } from '../helpers/bundles.js';
import { fakeRegistry, type FakeRegistry } from '../oci/fake-registry.js';

const logger = pino({ level: 'silent' });
const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function pushBundle(fake: FakeRegistry, bytes: Uint8Array, tag: string, note = ''): void {
  fake.putManifest(
    'policies',
    MEDIA_TYPES.manifest,
    {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.manifest,
      config: { mediaType: MEDIA_TYPES.config, digest: fake.putBlob('policies', Buffer.from('{}')), size: 2 },
      layers: [{ mediaType: MEDIA_TYPES.bundleLayer, digest: fake.putBlob('policies', Buffer.from(bytes)), size: bytes.byteLength }],
      annotations: { note },
    },
    tag,
  );
}

async function sourceFor(fake: FakeRegistry, registry: BundleRegistry): Promise<OciBundleSource> {
  return OciBundleSource.create({
    config: { repository: `${fake.host}/policies`, tags: new Map([['tiny', 'prod']]), pollIntervalMs: 60_000, insecure: false, env: {} },
    registry,
    logger,
    maxBytes: DEFAULT_READ_LIMITS.maxArchiveBytes,
    userAgent: 'test',
  });
}

describe("serve's OCI bundle source", () => {
  it('publishes what the tag names, costs one HEAD while it does not move, and downloads a layer only when it changes', async () => {
    const fake = await fakeRegistry();
    const registry = new BundleRegistry({ limits: DEFAULT_READ_LIMITS, logger, rescanIntervalMs: 60_000 });
    const source = await sourceFor(fake, registry);
    try {
      const first = tinyBundle('r1');
      pushBundle(fake, first, 'prod');
      await source.refresh();
      assert.equal(registry.get('tiny')?.revision, 'r1');
      assert.equal(registry.get('tiny')?.etag, `"${sha256(first).slice(7)}"`, 'the ETag is the layer digest');

      const before = fake.requests.length;
      await source.refresh();
      assert.deepEqual(
        fake.requests.slice(before).map((r) => r.method),
        ['HEAD'],
      );

      // A new manifest around the same layer (a re-push): the manifest is read, the layer is not fetched again.
      pushBundle(fake, first, 'prod', 'pushed again');
      const again = fake.requests.length;
      await source.refresh();
      assert.equal(fake.requests.slice(again).filter((r) => r.path.includes('/blobs/')).length, 0);

      pushBundle(fake, tinyBundle('r2'), 'prod');
      await source.refresh();
      assert.equal(registry.get('tiny')?.revision, 'r2');
    } finally {
      await source.stop();
      await fake.close();
    }
  });

  it('keeps the last good revision and records why when the tag disappears or holds no valid bundle', async () => {
    const fake = await fakeRegistry();
    const registry = new BundleRegistry({ limits: DEFAULT_READ_LIMITS, logger, rescanIntervalMs: 60_000 });
    const source = await sourceFor(fake, registry);
    try {
      pushBundle(fake, tinyBundle('good'), 'prod');
      await source.refresh();
      pushBundle(fake, new TextEncoder().encode('\x1f\x8b not really gzip'), 'prod');
      await source.refresh();
      const state = registry.states().find((s) => s.name === 'tiny');
      assert.equal(state?.revision, 'good');
      assert.match(state?.lastError ?? '', /gzip/);
    } finally {
      await source.stop();
      await fake.close();
    }
    const gone = await fakeRegistry();
    const empty = new BundleRegistry({ limits: DEFAULT_READ_LIMITS, logger, rescanIntervalMs: 60_000 });
    const missing = await sourceFor(gone, empty);
    try {
      await missing.refresh();
      assert.match(empty.states().find((s) => s.name === 'tiny')?.lastError ?? '', new RegExp(`registry ${gone.host}: resolving policies:prod: no such tag`));
      assert.equal(empty.get('tiny'), undefined);
    } finally {
      await missing.stop();
      await gone.close();
    }
  });
});
