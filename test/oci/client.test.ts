import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { isAppError } from '../../src/core/index.js';
import { credentialLookup, MAX_INDEX_DEPTH, MEDIA_TYPES, pullBundle, RegistryClient, type CredentialLookup } from '../../src/oci/index.js';
import { fakeRegistry, type FakeRegistry } from './fake-registry.js';

const anonymous: CredentialLookup = async () => undefined;
const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const coded = (code: string, message: RegExp) => (err: unknown) => isAppError(err) && err.code === code && message.test(err.message);

async function withRegistry(fake: FakeRegistry, credentials: CredentialLookup, test: (client: RegistryClient) => Promise<void>): Promise<void> {
  const client = new RegistryClient(fake.host, { credentials });
  try {
    await test(client);
  } finally {
    client.close();
    await fake.close();
  }
}

/** A bundle manifest in the fake registry: an empty config and one tar+gzip layer. */
function bundleManifest(fake: FakeRegistry, repository: string, layer: Buffer, tag?: string) {
  const config = Buffer.from('{}');
  return fake.putManifest(
    repository,
    MEDIA_TYPES.manifest,
    {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.manifest,
      config: { mediaType: MEDIA_TYPES.config, digest: fake.putBlob(repository, config), size: 2 },
      layers: [{ mediaType: MEDIA_TYPES.bundleLayer, digest: fake.putBlob(repository, layer), size: layer.byteLength }],
    },
    tag,
  );
}

describe('the registry client', () => {
  it('answers a Bearer challenge with one token request per scope, shared by parallel requests', async () => {
    let tokenRequests = 0;
    const fake = await fakeRegistry((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/token') {
        tokenRequests += 1;
        res
          .writeHead(200, { 'Content-Type': 'application/json' })
          .end(JSON.stringify({ token: `T(${url.searchParams.getAll('scope').join(' ')})`, expires_in: 300 }));
        return true;
      }
      if (req.headers.authorization === 'Bearer T(repository:p:pull)') return false;
      res.writeHead(401, { 'WWW-Authenticate': `Bearer realm="http://${req.headers.host}/token",service="fake",scope="repository:p:pull"` }).end();
      return true;
    });
    const layer = Buffer.from('bundle bytes');
    const digest = fake.putBlob('p', layer);
    await withRegistry(fake, anonymous, async (client) => {
      assert.deepEqual(await Promise.all([1, 2, 3].map(() => client.hasBlob('p', digest, 'pull'))), [true, true, true]);
      assert.equal(tokenRequests, 1);
      assert.equal(await client.hasBlob('p', digest, 'pull'), true);
      assert.equal(tokenRequests, 1, 'the token is reused until it expires');
      assert.ok(fake.requests.filter((r) => r.authorization === 'Bearer T(repository:p:pull)').length >= 4);
    });
  });

  it('follows a redirect to blob storage without sending the registry credentials there', async () => {
    const layer = Buffer.from('layer held by a storage service');
    const storage = await fakeRegistry((_req, res) => {
      res.writeHead(200, { 'Content-Length': layer.byteLength }).end(layer);
      return true;
    });
    const fake = await fakeRegistry((req, res) => {
      if (req.headers.authorization !== 'Bearer secret-token') {
        res.writeHead(401, { 'WWW-Authenticate': 'Bearer realm="https://auth.example.invalid/token",service="fake"' }).end();
        return true;
      }
      res.writeHead(307, { Location: `http://${storage.host}/storage/object?signature=abc` }).end();
      return true;
    });
    try {
      await withRegistry(fake, credentialLookup({ env: {}, registryToken: 'secret-token' }), async (client) => {
        const bytes = await client.fetchBlob('p', sha256(layer), layer.byteLength, 1 << 20);
        assert.deepEqual(bytes, layer);
      });
      assert.deepEqual(
        fake.requests.map((r) => r.authorization),
        [undefined, 'Bearer secret-token'],
      );
      assert.equal(storage.requests.length, 1);
      assert.equal(storage.requests[0]?.authorization, undefined);
    } finally {
      await storage.close();
    }
  });

  it('refuses plain HTTP to a host that is not loopback, even when the registry hands it out', async () => {
    const fake = await fakeRegistry((req, res) => {
      if (req.method !== 'POST') return false;
      res.writeHead(202, { Location: 'http://registry.example.invalid/v2/p/blobs/uploads/1' }).end();
      return true;
    });
    await withRegistry(fake, anonymous, async (client) => {
      const blob = Buffer.from('x');
      await assert.rejects(
        client.uploadBlob('p', sha256(blob), blob),
        coded('REGISTRY_TLS_FAILED', /refusing plain HTTP to registry\.example\.invalid; use --insecure/),
      );
    });
  });

  it('checks digests and sizes against the bytes', async () => {
    const fake = await fakeRegistry((req, res) => {
      if (req.url === '/v2/p/manifests/lying') {
        res.writeHead(200, { 'Content-Type': MEDIA_TYPES.manifest, 'Docker-Content-Digest': `sha256:${'0'.repeat(64)}` }).end('{}');
        return true;
      }
      return false;
    });
    const layer = Buffer.from('twelve bytes');
    const digest = fake.putBlob('p', layer);
    await withRegistry(fake, anonymous, async (client) => {
      await assert.rejects(client.fetchManifest('p', 'lying', 1 << 20), coded('REGISTRY_DIGEST_MISMATCH', /the manifest's bytes hash to sha256:/));
      await assert.rejects(client.fetchBlob('p', digest, 13, 1 << 20), coded('REGISTRY_DIGEST_MISMATCH', /got 12 bytes, the manifest says 13/));
      await assert.rejects(client.fetchBlob('p', digest, layer.byteLength, 4), coded('REGISTRY_ARTIFACT_INVALID', /more than the limit of 4/));
    });
  });
});

const descriptor = (stored: { digest: string; size: number }) => ({ digest: stored.digest, size: stored.size });

describe('pulling a bundle through image indexes, as OPA does', () => {
  const index = (fake: FakeRegistry, entries: { digest: string; size: number; mediaType?: string }[], tag?: string) =>
    fake.putManifest(
      'p',
      MEDIA_TYPES.index,
      { schemaVersion: 2, mediaType: MEDIA_TYPES.index, manifests: entries.map((e) => ({ mediaType: e.mediaType ?? MEDIA_TYPES.manifest, ...e })) },
      tag,
    );

  it(`follows up to ${MAX_INDEX_DEPTH} levels of indexes, and no further`, async () => {
    const fake = await fakeRegistry();
    // Only the gzip header matters to the pull; the registry side here is a fake.
    const layer = Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.from('the bundle')]);
    let top = descriptor(bundleManifest(fake, 'p', layer));
    for (let level = 1; level <= MAX_INDEX_DEPTH; level += 1) {
      top = descriptor(index(fake, [{ ...top, mediaType: level === 1 ? MEDIA_TYPES.manifest : MEDIA_TYPES.index }], `level${level}`));
    }
    const tooDeep = index(fake, [{ ...top, mediaType: MEDIA_TYPES.index }], 'level5');
    await withRegistry(fake, anonymous, async (client) => {
      const pulled = await pullBundle(client, { registry: fake.host, repository: 'p', tag: `level${MAX_INDEX_DEPTH}` }, { maxBytes: 1 << 20 });
      assert.deepEqual(pulled.bytes, layer);
      assert.equal(pulled.digest, top.digest);
      await assert.rejects(
        pullBundle(client, { registry: fake.host, repository: 'p', digest: tooDeep.digest }, { maxBytes: 1 << 20 }),
        coded('REGISTRY_ARTIFACT_INVALID', /nested more than 4 levels deep/),
      );
    });
  });

  it('fetches each manifest once, however often an index repeats it, and says when no bundle layer is found', async () => {
    const fake = await fakeRegistry();
    const tar = Buffer.from('plain tar layer');
    const noBundle = fake.putManifest('p', MEDIA_TYPES.manifest, {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.manifest,
      config: { mediaType: MEDIA_TYPES.config, digest: fake.putBlob('p', Buffer.from('{}')), size: 2 },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: fake.putBlob('p', tar), size: tar.byteLength }],
    });
    let top = descriptor(noBundle);
    for (let level = 1; level < MAX_INDEX_DEPTH; level += 1) {
      const mediaType = level === 1 ? MEDIA_TYPES.manifest : MEDIA_TYPES.index;
      top = descriptor(
        index(
          fake,
          Array.from({ length: 8 }, () => ({ ...top, mediaType })),
        ),
      );
    }
    const empty = index(fake, [], 'empty');
    await withRegistry(fake, anonymous, async (client) => {
      const before = fake.requests.length;
      await assert.rejects(
        pullBundle(client, { registry: fake.host, repository: 'p', digest: top.digest }, { maxBytes: 1 << 20 }),
        coded('REGISTRY_ARTIFACT_INVALID', /no manifest in the image index holds a application\/vnd\.oci\.image\.layer\.v1\.tar\+gzip layer/),
      );
      assert.equal(fake.requests.length - before, MAX_INDEX_DEPTH, 'one fetch per distinct digest');
      await assert.rejects(
        pullBundle(client, { registry: fake.host, repository: 'p', tag: 'empty' }, { maxBytes: 1 << 20 }),
        coded('REGISTRY_ARTIFACT_INVALID', /lists no manifests/),
      );
      assert.ok(empty.size > 0);
    });
  });

  it('does not download a layer it already holds', async () => {
    const fake = await fakeRegistry();
    const layer = Buffer.from('known bundle');
    bundleManifest(fake, 'p', layer, 'v1');
    await withRegistry(fake, anonymous, async (client) => {
      const pulled = await pullBundle(client, { registry: fake.host, repository: 'p', tag: 'v1' }, { maxBytes: 1 << 20, knownLayer: sha256(layer) });
      assert.equal(pulled.bytes, undefined);
      assert.equal(pulled.layer.digest, sha256(layer));
      assert.equal(fake.requests.filter((r) => r.path.includes('/blobs/')).length, 0);
    });
  });
});
