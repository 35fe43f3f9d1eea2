// The repository's Dockerfile built for real with buildah (chroot isolation,
// no container engine), from local stand-ins for its base images (this
// machine cannot pull from Docker Hub or gcr.io; see local-bases.ts). Only the
// FROM lines differ from the Dockerfile. The image then runs `portcullis
// doctor` and serves its baked bundles without a shell, as UID 65532, writing
// nowhere but its state folder and /tmp.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, readFile, stat, writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO, freePort, waitFor } from '../helpers/processes.js';
import { buildah, builderBase, runtimeBase } from './local-bases.js';

const IMAGE = 'localhost/portcullis-e2e:test';
const RUNTIME_FROM = /^FROM gcr\.io\/distroless\/nodejs20-debian12:nonroot@sha256:[0-9a-f]{64}$/m;
const GO_FROM = /^FROM golang:1\.26-bookworm@sha256:[0-9a-f]{64} AS opa$/m;
const NODE_FROM = /^FROM node:20-bookworm@sha256:[0-9a-f]{64} AS build$/m;

interface ImageConfig {
  readonly User?: string;
  readonly Entrypoint?: readonly string[];
  readonly Cmd?: readonly string[];
  readonly Env?: readonly string[];
  readonly ExposedPorts?: Record<string, unknown>;
  readonly Healthcheck?: unknown;
}

/** Every regular file under a folder with its size and modification time. */
async function snapshot(root: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const s = await stat(path);
    files.set(`/${relative(root, path)}`, `${s.size}:${s.mtimeMs}`);
  }
  return files;
}

describe('the container image, built with buildah from local bases', { timeout: 60 * 60_000 }, () => {
  let container = '';

  before(async () => {
    const [builder, runtime] = [await builderBase(), await runtimeBase()];
    const dockerfile = await readFile(join(REPO, 'Dockerfile'), 'utf8');
    for (const from of [GO_FROM, NODE_FROM, RUNTIME_FROM]) assert.match(dockerfile, from);
    const variant = dockerfile
      .replace(GO_FROM, `FROM ${builder} AS opa`)
      .replace(NODE_FROM, `FROM ${builder} AS build`)
      .replace(RUNTIME_FROM, `FROM ${runtime}`);
    const changed = variant.split('\n').filter((line, i) => line !== dockerfile.split('\n')[i]);
    assert.equal(changed.length, 3, 'only the three FROM lines differ');
    const file = join(await mkdtemp(join(tmpdir(), 'portcullis-image-')), 'Dockerfile');
    await writeFile(file, variant);
    // This machine's Go caches make the opa stage a cache hit when the pinned opa was built here already.
    const goCaches = ['GOMODCACHE', 'GOCACHE'].map((v) => process.env[v]).filter((v): v is string => v !== undefined);
    const [modCache, buildCache] =
      goCaches.length === 2 ? goCaches : [join(process.env['HOME'] ?? '/root', 'go/pkg/mod'), join(process.env['HOME'] ?? '/root', '.cache/go-build')];
    await buildah([
      'bud',
      '--isolation',
      'chroot',
      '--layers',
      '-f',
      file,
      '-v',
      `${modCache}:/go/pkg/mod`,
      '-v',
      `${buildCache}:/root/.cache/go-build`,
      '-t',
      IMAGE,
      REPO,
    ]);
    container = (await buildah(['from', IMAGE])).trim();
  });

  after(async () => {
    if (container) await buildah(['rm', container]).catch(() => undefined);
  });

  it('runs as 65532 with the CLI as entrypoint, serves the baked bundles by default, and has no HEALTHCHECK', async () => {
    const inspected = JSON.parse(await buildah(['inspect', '--type', 'image', IMAGE])) as { OCIv1: { config: ImageConfig }; Docker: { config: ImageConfig } };
    const config = inspected.OCIv1.config;
    assert.equal(config.User, '65532:65532');
    assert.deepEqual(config.Entrypoint, ['/nodejs/bin/node', '/app/bin/portcullis.js']);
    assert.deepEqual(config.Cmd, ['serve', '--listen', '0.0.0.0:8480', '--dir', '/usr/share/portcullis/bundles']);
    assert.ok(config.Env?.includes('PORTCULLIS_STATE_DIR=/var/lib/portcullis'));
    assert.ok(config.Env?.includes('OPA_BIN=/usr/local/bin/opa'));
    assert.deepEqual(Object.keys(config.ExposedPorts ?? {}).sort(), ['8443/tcp', '8480/tcp']);
    assert.equal(inspected.Docker.config.Healthcheck, undefined);
  });

  it('runs portcullis doctor: the pinned opa, Node 20, the state folder', async () => {
    const out = await buildah([
      'run',
      '--isolation',
      'chroot',
      '--user',
      '65532:65532',
      container,
      '--',
      '/nodejs/bin/node',
      '/app/bin/portcullis.js',
      'doctor',
      '--json',
    ]);
    const report = JSON.parse(out) as {
      opa: { path: string; matchesPin: boolean; version: string; pinned: string };
      node: { version: string };
      stateDir: string;
    };
    assert.equal(report.opa.matchesPin, true, out);
    assert.equal(report.opa.path, '/usr/local/bin/opa');
    assert.match(report.node.version, /^20\./);
    assert.equal(report.stateDir, '/var/lib/portcullis');
    const pinned = /github\.com\/open-policy-agent\/opa v(\S+)/.exec(await readFile(join(REPO, 'tools', 'opa', 'go.mod'), 'utf8'))?.[1];
    assert.equal(report.opa.version, pinned);
  });

  it('serves its baked bundles with no shell in the image, writing only to its state folder and /tmp', async () => {
    const mounted = (await buildah(['mount', container])).trim();
    try {
      for (const shell of ['/bin/sh', '/bin/bash', '/usr/bin/sh']) await assert.rejects(stat(join(mounted, shell)), `${shell} is not in the image`);
      const before = await snapshot(mounted);
      const port = await freePort();
      const serve = spawn(
        'buildah',
        [
          '--storage-driver',
          'overlay',
          'run',
          '--isolation',
          'chroot',
          '--user',
          '65532:65532',
          container,
          '--',
          '/nodejs/bin/node',
          '/app/bin/portcullis.js',
          'serve',
          '--listen',
          `127.0.0.1:${port}`,
          '--dir',
          '/usr/share/portcullis/bundles',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let output = '';
      serve.stdout.on('data', (d: Buffer) => (output += d.toString()));
      serve.stderr.on('data', (d: Buffer) => (output += d.toString()));
      try {
        const ready = await waitFor(
          async () => {
            const res = await fetch(`http://127.0.0.1:${port}/ready`).catch(() => undefined);
            return res?.status === 200 ? res : undefined;
          },
          60_000,
          () => output,
        );
        assert.deepEqual(await ready.json(), { bundles: 2 });
        const listed = (await (await fetch(`http://127.0.0.1:${port}/v1/bundles`)).json()) as { bundles: { name: string; revision?: string }[] };
        assert.deepEqual(
          listed.bundles.map((b) => b.name),
          ['image-policy', 'image-scan'],
        );
        assert.equal((await fetch(`http://127.0.0.1:${port}/bundles/image-scan`)).headers.get('content-type'), 'application/gzip');
      } finally {
        const exited = new Promise((resolve) => serve.once('exit', resolve));
        serve.kill('SIGTERM');
        await exited;
      }
      assert.match(output, /"msg":"fleet store open"/);
      const after = await snapshot(mounted);
      const written = [...after].filter(([path, identity]) => before.get(path) !== identity).map(([path]) => path);
      assert.ok(written.length > 0, 'the SQLite store was written');
      assert.deepEqual(
        written.filter((path) => !path.startsWith('/var/lib/portcullis/') && !path.startsWith('/tmp/')),
        [],
        'nothing written outside /var/lib/portcullis and /tmp: a read-only root file system works',
      );
    } finally {
      await buildah(['umount', container]).catch(() => undefined);
    }
  });
});
