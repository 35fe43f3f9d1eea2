import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { credentialLookup, MEDIA_TYPES, RegistryClient } from '../../src/oci/index.js';
import { generateKeys, runCli, signBundle, writeBundle } from '../helpers/oci.js';
import { freePort } from '../helpers/processes.js';
import { scratchProject } from '../helpers/project.js';
import { blobPath, cuttingProxy, startRegistry, testCertificates, type TestRegistry } from '../helpers/registry.js';

const USER = 'alice';
const PASSWORD = 'correct horse';
const ENV = { PORTCULLIS_REGISTRY_USERNAME: USER, PORTCULLIS_REGISTRY_PASSWORD: PASSWORD, DOCKER_CONFIG: '/nonexistent' };
const ACCEPT = [MEDIA_TYPES.manifest, MEDIA_TYPES.index].join(', ');

const sha256 = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

// The CLI against Debian's docker-registry (the CNCF distribution registry)
// with htpasswd auth: what lands in the registry is checked with plain HTTP
// requests, independently of portcullis' own client.
describe('portcullis push and pull with a real registry', () => {
  let registry: TestRegistry;
  let dir: string;
  const auth = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
  const get = (path: string, method = 'GET') => fetch(`${registry.url}${path}`, { method, headers: { Authorization: auth, Accept: ACCEPT } });
  const digestOfTag = async (repository: string, tag: string) => {
    const res = await get(`/v2/${repository}/manifests/${tag}`, 'HEAD');
    return res.status === 200 ? res.headers.get('docker-content-digest') : `HTTP ${res.status}`;
  };
  const uploads = () =>
    registry
      .output()
      .split('\n')
      .filter((l) => /"POST \/v2\/[^ ]+\/blobs\/uploads\/ HTTP/.test(l)).length;

  before(async () => {
    registry = await startRegistry({ htpasswd: [{ user: USER, password: PASSWORD }] });
    dir = await mkdtemp(join(tmpdir(), 'portcullis-oci-'));
  });

  after(async () => {
    await registry?.stop();
  });

  it('pushes the bundle unchanged as the one tar+gzip layer, annotated, under several tags at once', async () => {
    const bundle = await writeBundle(dir, 'alpha', 'rev-1');
    const bytes = await readFile(bundle);
    const ref = (tag: string) => `${registry.host}/policies/alpha:${tag}`;
    const run = await runCli(['push', bundle, ref('v1'), ref('stable'), '--source', 'https://example.test/policies'], { env: ENV });
    assert.equal(run.status, 0, run.stderr);
    const printed = /^Digest: (sha256:[a-f0-9]{64})$/m.exec(run.stdout)?.[1];
    assert.ok(printed, run.stdout);
    assert.equal(await digestOfTag('policies/alpha', 'v1'), printed);
    assert.equal(await digestOfTag('policies/alpha', 'stable'), printed);

    const res = await get('/v2/policies/alpha/manifests/v1');
    const manifestBytes = new Uint8Array(await res.arrayBuffer());
    assert.equal(sha256(manifestBytes), printed);
    const manifest = JSON.parse(Buffer.from(manifestBytes).toString('utf8'));
    assert.equal(manifest.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    assert.equal(manifest.layers.length, 1);
    assert.equal(manifest.layers[0].mediaType, 'application/vnd.oci.image.layer.v1.tar+gzip');
    assert.equal(manifest.layers[0].digest, sha256(bytes));
    assert.equal(manifest.layers[0].size, bytes.byteLength);
    assert.equal(manifest.config.size, 2);
    const config = await get(`/v2/policies/alpha/blobs/${manifest.config.digest}`);
    assert.equal(await config.text(), '{}');
    const annotations = manifest.annotations;
    assert.equal(annotations['org.opencontainers.image.revision'], 'rev-1');
    assert.equal(annotations['org.opencontainers.image.source'], 'https://example.test/policies');
    assert.equal(annotations['org.opencontainers.image.title'], 'alpha');
    assert.ok(Math.abs(Date.parse(annotations['org.opencontainers.image.created']) - Date.now()) < 60_000, annotations['org.opencontainers.image.created']);
    const layer = await get(`/v2/policies/alpha/blobs/${manifest.layers[0].digest}`);
    assert.deepEqual(new Uint8Array(await layer.arrayBuffer()), new Uint8Array(bytes));
  });

  it('does not upload blobs the registry already holds', async () => {
    const bundle = await writeBundle(dir, 'beta', 'rev-b');
    const first = await runCli(['push', bundle, `${registry.host}/policies/beta:one`, '--json'], { env: ENV });
    assert.equal(first.status, 0, first.stderr);
    assert.equal(JSON.parse(first.stdout)[0].results[0].uploaded.length, 2);
    const before = uploads();
    const again = await runCli(['push', bundle, `${registry.host}/policies/beta:two`, '--json'], { env: ENV });
    assert.equal(again.status, 0, again.stderr);
    const result = JSON.parse(again.stdout)[0].results[0];
    assert.deepEqual(result.uploaded, []);
    assert.equal(result.present.length, 2);
    assert.equal(uploads(), before, 'the registry saw an upload started for blobs it already held');
    assert.ok(before >= 2, 'the registry log shows the first push uploading');
  });

  it('pulls by tag and by digest the exact bytes that were pushed', async () => {
    const bundle = await writeBundle(dir, 'gamma', 'rev-g');
    const pushed = await runCli(['push', bundle, `${registry.host}/policies/gamma:latest`], { env: ENV });
    assert.equal(pushed.status, 0, pushed.stderr);
    const digest = /^Digest: (\S+)$/m.exec(pushed.stdout)?.[1] as string;
    for (const ref of [`${registry.host}/policies/gamma`, `${registry.host}/policies/gamma@${digest}`]) {
      const out = join(dir, `pulled-${digest.slice(7, 15)}-${ref.includes('@') ? 'digest' : 'tag'}.tar.gz`);
      const run = await runCli(['pull', ref, '-o', out], { env: ENV });
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout, /^Revision: rev-g$/m);
      assert.deepEqual(await readFile(out), await readFile(bundle));
    }
  });

  it('follows an image index to the bundle manifest, skipping attestation entries, as OPA does', async () => {
    const bundle = await writeBundle(dir, 'delta', 'rev-d');
    assert.equal((await runCli(['push', bundle, `${registry.host}/policies/delta:plain`], { env: ENV })).status, 0);
    const client = new RegistryClient(registry.host, { credentials: credentialLookup({ username: USER, password: PASSWORD, env: {} }) });
    try {
      const plain = await client.fetchManifest('policies/delta', 'plain', 1 << 20);
      // An attestation as docker buildx attaches it: platform unknown/unknown, an in-toto layer.
      const statement = Buffer.from('{"_type":"https://in-toto.io/Statement/v1"}');
      await client.uploadBlob('policies/delta', sha256(statement), statement);
      const config = JSON.parse(plain.bytes.toString('utf8')).config;
      const attestation = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MEDIA_TYPES.manifest,
          config,
          layers: [{ mediaType: 'application/vnd.in-toto+json', digest: sha256(statement), size: statement.byteLength }],
        }),
      );
      await client.putManifest('policies/delta', sha256(attestation), MEDIA_TYPES.manifest, attestation);
      const index = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MEDIA_TYPES.index,
          manifests: [
            {
              mediaType: MEDIA_TYPES.manifest,
              digest: sha256(attestation),
              size: attestation.byteLength,
              platform: { os: 'unknown', architecture: 'unknown' },
            },
            { mediaType: MEDIA_TYPES.manifest, digest: plain.digest, size: plain.bytes.byteLength },
          ],
        }),
      );
      await client.putManifest('policies/delta', 'indexed', MEDIA_TYPES.index, index);
    } finally {
      client.close();
    }
    const out = join(dir, 'from-index.tar.gz');
    const run = await runCli(['pull', `${registry.host}/policies/delta:indexed`, '-o', out], { env: ENV });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(await readFile(out), await readFile(bundle));
  });

  it('verifies the signature when a key is given, and writes nothing when it does not hold', async () => {
    const keys = await generateKeys(dir, 'k1');
    const other = await generateKeys(join(dir, 'other'), 'k2');
    const bundle = await writeBundle(dir, 'signed', 'rev-s');
    await signBundle(bundle, keys.privateKey, 'k1');
    assert.equal((await runCli(['push', bundle, `${registry.host}/policies/signed:v1`], { env: ENV })).status, 0);
    const good = join(dir, 'verified.tar.gz');
    const ok = await runCli(['pull', `${registry.host}/policies/signed:v1`, '-o', good, '--alg', 'ES256', '--key', keys.publicKey, '--kid', 'k1'], {
      env: ENV,
    });
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /^Signature: signature valid \(key k1/m);
    assert.deepEqual(await readFile(good), await readFile(bundle));
    const bad = join(dir, 'refused.tar.gz');
    const refused = await runCli(['pull', `${registry.host}/policies/signed:v1`, '-o', bad, '--alg', 'ES256', '--key', other.publicKey], { env: ENV });
    assert.equal(refused.status, 1, refused.stderr);
    assert.match(refused.stderr, /signature|verif/i);
    assert.equal(existsSync(bad), false, 'a bundle that failed verification was written');
    const keyWithoutAlg = await runCli(['pull', `${registry.host}/policies/signed:v1`, '-o', bad, '--key', keys.publicKey], { env: ENV });
    assert.equal(keyWithoutAlg.status, 2);
    assert.match(keyWithoutAlg.stderr, /--key verify the signature only with --alg/);
  });

  it('build --push pushes every built bundle as <prefix>:<bundle name>', async () => {
    const project = await scratchProject();
    const run = await runCli(['build', '--bundles', 'bundles', '--out', 'out', '--json', '--push', `${registry.host}/team/policies`], {
      cwd: project,
      env: ENV,
    });
    assert.equal(run.status, 0, run.stderr);
    const { bundles, pushed } = JSON.parse(run.stdout) as {
      bundles: { name: string; revision: string; path: string }[];
      pushed: { name: string; digest: string }[];
    };
    assert.deepEqual(pushed.map((p) => p.name).sort(), bundles.map((b) => b.name).sort());
    for (const b of bundles) {
      const digest = pushed.find((p) => p.name === b.name)?.digest;
      assert.equal(await digestOfTag('team/policies', b.name), digest);
      const manifest: any = await (await get(`/v2/team/policies/manifests/${b.name}`)).json();
      assert.equal(manifest.annotations['org.opencontainers.image.revision'], b.revision);
      assert.equal(manifest.layers[0].digest, sha256(await readFile(b.path)));
    }
  });

  it('speaks TLS to a registry with a private CA given by --ca, and never falls back to plain HTTP for it', async () => {
    const certs = await testCertificates(await mkdtemp(join(tmpdir(), 'portcullis-oci-tls-')));
    const secure = await startRegistry({ htpasswd: [{ user: USER, password: PASSWORD }] }, { tls: certs });
    try {
      const bundle = await writeBundle(dir, 'tls', 'rev-tls');
      const pushed = await runCli(['push', bundle, `${secure.host}/policies/tls:v1`, '--ca', certs.ca], { env: ENV });
      assert.equal(pushed.status, 0, pushed.stderr);
      const out = join(dir, 'tls-pulled.tar.gz');
      const pulled = await runCli(['pull', `${secure.host}/policies/tls:v1`, '--ca', certs.ca, '-o', out], { env: ENV });
      assert.equal(pulled.status, 0, pulled.stderr);
      assert.deepEqual(await readFile(out), await readFile(bundle));
      const untrusted = await runCli(['pull', `${secure.host}/policies/tls:v1`, '-o', join(dir, 'untrusted.tar.gz')], { env: ENV });
      assert.equal(untrusted.status, 2, untrusted.stderr);
      assert.match(
        untrusted.stderr,
        new RegExp(
          `registry ${secure.host}: fetching the manifest policies/tls:v1: its TLS certificate is not trusted \\([A-Z_]+\\); give the CA that signed it with --ca`,
        ),
      );
    } finally {
      await secure.stop();
    }
  });

  describe('bad input and faults: a clear error naming the registry and the step; exit 2 for the user, 3 for the registry', () => {
    it('wrong credentials: exit 2', async () => {
      const bundle = await writeBundle(dir, 'creds', 'rev-c');
      const run = await runCli(['push', bundle, `${registry.host}/policies/creds:v1`], { env: { ...ENV, PORTCULLIS_REGISTRY_PASSWORD: 'wrong' } });
      assert.equal(run.status, 2, run.stderr);
      assert.match(
        run.stderr,
        new RegExp(
          `^portcullis: registry ${registry.host}: checking for blob sha256:[0-9a-f]{12} in policies/creds: the registry refused the credentials of user 'alice' \\(HTTP 401\\)`,
        ),
      );
      const none = await runCli(['pull', `${registry.host}/policies/alpha:v1`], { env: { DOCKER_CONFIG: '/nonexistent' } });
      assert.equal(none.status, 2, none.stderr);
      assert.match(
        none.stderr,
        new RegExp(`registry ${registry.host}: fetching the manifest policies/alpha:v1: the registry asks for a login and no credentials were found`),
      );
      assert.equal(await digestOfTag('policies/creds', 'v1'), 'HTTP 404');
    });

    it('an unknown repository: exit 2', async () => {
      const run = await runCli(['pull', `${registry.host}/no/such/repository:v1`, '-o', join(dir, 'none.tar.gz')], { env: ENV });
      assert.equal(run.status, 2, run.stderr);
      assert.match(run.stderr, new RegExp(`registry ${registry.host}: fetching the manifest no/such/repository:v1: not found`));
    });

    it('a manifest without the bundle layer: exit 2', async () => {
      const client = new RegistryClient(registry.host, { credentials: credentialLookup({ username: USER, password: PASSWORD, env: {} }) });
      try {
        const layer = Buffer.from('not a bundle layer');
        const config = Buffer.from('{}');
        for (const blob of [layer, config]) await client.uploadBlob('policies/other', sha256(blob), blob);
        const manifest = Buffer.from(
          JSON.stringify({
            schemaVersion: 2,
            mediaType: MEDIA_TYPES.manifest,
            config: { mediaType: MEDIA_TYPES.config, digest: sha256(config), size: config.byteLength },
            layers: [{ mediaType: 'application/vnd.cncf.openpolicyagent.policy.layer.v1+rego', digest: sha256(layer), size: layer.byteLength }],
          }),
        );
        await client.putManifest('policies/other', 'conftest', MEDIA_TYPES.manifest, manifest);
      } finally {
        client.close();
      }
      const run = await runCli(['pull', `${registry.host}/policies/other:conftest`, '-o', join(dir, 'other.tar.gz')], { env: ENV });
      assert.equal(run.status, 2, run.stderr);
      assert.match(
        run.stderr,
        new RegExp(
          `registry ${registry.host}: reading ${registry.host}/policies/other:conftest: no layer has the media type application/vnd.oci.image.layer.v1.tar\\+gzip`,
        ),
      );
      assert.equal(existsSync(join(dir, 'other.tar.gz')), false);
    });

    it('a blob whose bytes do not match its digest: exit 3, nothing written', async () => {
      const bundle = await writeBundle(dir, 'corrupt', 'rev-x');
      const bytes = await readFile(bundle);
      assert.equal((await runCli(['push', bundle, `${registry.host}/policies/corrupt:v1`], { env: ENV })).status, 0);
      // Storage corrupted behind the registry's back: it serves the bytes as they are.
      const stored = blobPath(registry, sha256(bytes));
      const damaged = Buffer.from(await readFile(stored));
      damaged.writeUInt8(damaged.readUInt8(damaged.length - 1) ^ 0xff, damaged.length - 1);
      await writeFile(stored, damaged);
      const out = join(dir, 'corrupt-pulled.tar.gz');
      const run = await runCli(['pull', `${registry.host}/policies/corrupt:v1`, '-o', out], { env: ENV });
      assert.equal(run.status, 3, run.stderr);
      assert.match(
        run.stderr,
        new RegExp(`registry ${registry.host}: fetching blob ${sha256(bytes).slice(0, 19)} from policies/corrupt: the blob's bytes hash to sha256:`),
      );
      assert.equal(existsSync(out), false);
    });

    it('a registry that goes away mid-upload: exit 3, and the tag does not move', async () => {
      const first = await writeBundle(dir, 'moving', 'rev-1');
      assert.equal((await runCli(['push', first, `${registry.host}/policies/moving:v1`], { env: ENV })).status, 0);
      const before = await digestOfTag('policies/moving', 'v1');
      const proxy = await cuttingProxy(registry.host, 256 * 1024);
      try {
        const second = await writeBundle(dir, 'moving', 'rev-2', { padding: 2 * 1024 * 1024 });
        const run = await runCli(['push', second, `${proxy.host}/policies/moving:v1`], { env: ENV });
        assert.equal(run.status, 3, run.stderr);
        assert.match(
          run.stderr,
          new RegExp(`^portcullis: registry ${proxy.host}: uploading blob sha256:[0-9a-f]{12} to policies/moving: the registry closed the connection`, 'm'),
        );
        assert.ok(proxy.cuts() >= 1);
      } finally {
        await proxy.close();
      }
      assert.equal(await digestOfTag('policies/moving', 'v1'), before);
    });

    it('a registry that is not there: exit 3', async () => {
      const port = await freePort();
      const run = await runCli(['pull', `127.0.0.1:${port}/policies/alpha:v1`], { env: ENV });
      assert.equal(run.status, 3, run.stderr);
      assert.match(run.stderr, new RegExp(`registry 127.0.0.1:${port}: fetching the manifest policies/alpha:v1: connection refused`));
    });

    it('a malformed reference or a file that is not a bundle: exit 2, nothing sent', async () => {
      const bad = await runCli(['pull', 'policies/alpha:v1'], { env: ENV });
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /REF 'policies\/alpha:v1' is not a registry reference/);
      const upper = await runCli(['pull', `${registry.host}/Policies/alpha:v1`], { env: ENV });
      assert.equal(upper.status, 2);
      assert.match(upper.stderr, /not a valid repository name/);
      const junk = join(dir, 'junk.tar.gz');
      await writeFile(junk, 'this is not a gzip archive');
      const before = uploads();
      const run = await runCli(['push', junk, `${registry.host}/policies/junk:v1`], { env: ENV });
      assert.equal(run.status, 2, run.stderr);
      assert.match(run.stderr, /junk\.tar\.gz: archive is not valid gzip/);
      assert.equal(uploads(), before);
      assert.equal(await digestOfTag('policies/junk', 'v1'), 'HTTP 404');
      // Gzip, but no bundle: refused by the check that runs while the blobs travel, so no tag moves.
      const notABundle = join(dir, 'not-a-bundle.tar.gz');
      await writeFile(notABundle, gzipSync('a gzip stream that holds no tar archive'));
      const refused = await runCli(['push', notABundle, `${registry.host}/policies/junk:v1`], { env: ENV });
      assert.equal(refused.status, 2, refused.stderr);
      assert.match(refused.stderr, /^portcullis: \S+not-a-bundle\.tar\.gz: archive is truncated/m);
      assert.equal(await digestOfTag('policies/junk', 'v1'), 'HTTP 404');
    });
  });
});
