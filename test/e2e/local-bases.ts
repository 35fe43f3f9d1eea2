// Local stand-ins for the Dockerfile's base images, for machines that cannot
// pull from Docker Hub or gcr.io: made with buildah from a Debian root
// filesystem (mmdebstrap) and this machine's own Node and Go, in the layout of
// the images they replace, and kept in buildah's storage under a tag derived
// from their inputs, so later runs reuse them.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** buildah with the storage driver the tests use: overlay on the machine's own file system. */
export async function buildah(args: readonly string[], options: { timeoutMs?: number } = {}): Promise<string> {
  try {
    const { stdout } = await exec('buildah', ['--storage-driver', 'overlay', ...args], {
      maxBuffer: 256 * 1024 * 1024,
      timeout: options.timeoutMs ?? 30 * 60_000,
    });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`buildah ${args.slice(0, 3).join(' ')} failed: ${e.message}\n${(e.stdout ?? '').slice(-4000)}\n${(e.stderr ?? '').slice(-4000)}`, {
      cause: err,
    });
  }
}

async function imageExists(name: string): Promise<boolean> {
  return buildah(['inspect', '--type', 'image', name]).then(
    () => true,
    () => false,
  );
}

const BUILDER_PACKAGES = ['ca-certificates', 'g++', 'make', 'python3'];
// The CA bundle of this machine: its egress proxy may re-sign TLS, and npm and Go inside the build must trust it.
const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

function nodePrefix(): string {
  return dirname(dirname(process.execPath));
}

async function goRoot(): Promise<string> {
  return (await exec('go', ['env', 'GOROOT'])).stdout.trim();
}

function tagOf(...parts: readonly string[]): string {
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 16);
}

/**
 * Stands in for golang:1.26-bookworm and node:20-bookworm: Debian 12 with a
 * C++ toolchain and Python (for native addons), this machine's Node (with its
 * headers, so node-gyp needs no download) and Go.
 */
export async function builderBase(): Promise<string> {
  const root = await goRoot();
  const goVersion = (await exec('go', ['env', 'GOVERSION'])).stdout.trim();
  const ca = existsSync(CA_BUNDLE) ? readFileSync(CA_BUNDLE) : Buffer.alloc(0);
  const name = `localhost/portcullis-test/builder:${tagOf(process.version, goVersion, BUILDER_PACKAGES.join(','), createHash('sha256').update(ca).digest('hex'))}`;
  if (await imageExists(name)) return name;
  const work = await mkdtemp(join(tmpdir(), 'portcullis-builder-base-'));
  try {
    const rootfs = join(work, 'rootfs.tar');
    await exec('mmdebstrap', ['--variant=minbase', `--include=${BUILDER_PACKAGES.join(',')}`, 'bookworm', rootfs, 'http://deb.debian.org/debian'], {
      maxBuffer: 64 * 1024 * 1024,
      timeout: 20 * 60_000,
    });
    const prefix = nodePrefix();
    const node = ['bin/node', 'bin/npm', 'bin/npx', 'lib/node_modules', 'include/node'].filter((p) => existsSync(join(prefix, p)));
    await exec('tar', ['-C', prefix, '-cf', join(work, 'node.tar'), ...node], { maxBuffer: 64 * 1024 * 1024 });
    const c = (await buildah(['from', 'scratch'])).trim();
    try {
      await buildah(['add', c, rootfs, '/']);
      await buildah(['add', c, join(work, 'node.tar'), '/usr/']);
      await buildah(['copy', c, root, '/usr/local/go']);
      if (ca.length > 0) await buildah(['copy', c, CA_BUNDLE, CA_BUNDLE]);
      await buildah([
        'config',
        '--env',
        'PATH=/usr/local/go/bin:/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        '--env',
        'GOPATH=/go',
        '--env',
        'HOME=/root',
        '--env',
        `NODE_EXTRA_CA_CERTS=${CA_BUNDLE}`,
        '--env',
        `SSL_CERT_FILE=${CA_BUNDLE}`,
        '--env',
        'npm_config_nodedir=/usr',
        c,
      ]);
      await buildah(['commit', '--quiet', c, name]);
    } finally {
      await buildah(['rm', c]).catch(() => undefined);
    }
    return name;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Stands in for gcr.io/distroless/nodejs20-debian12:nonroot: this machine's
 * node binary at /nodejs/bin/node with the libraries it links, the nonroot
 * user (65532), CA certificates and /tmp; no shell and no package manager.
 */
export async function runtimeBase(): Promise<string> {
  const libs = (await exec('ldd', [process.execPath])).stdout
    .split('\n')
    .map((line) => /(\/\S+) \(0x/.exec(line)?.[1])
    .filter((p): p is string => p !== undefined);
  const name = `localhost/portcullis-test/runtime:${tagOf(process.version, ...libs)}`;
  if (await imageExists(name)) return name;
  const work = await mkdtemp(join(tmpdir(), 'portcullis-runtime-base-'));
  try {
    const fs = join(work, 'rootfs');
    await mkdir(join(fs, 'nodejs', 'bin'), { recursive: true });
    await copyFile(process.execPath, join(fs, 'nodejs', 'bin', 'node'));
    await chmod(join(fs, 'nodejs', 'bin', 'node'), 0o755);
    for (const lib of libs) {
      await mkdir(join(fs, dirname(lib)), { recursive: true });
      await copyFile(lib, join(fs, lib));
    }
    await mkdir(join(fs, 'etc', 'ssl', 'certs'), { recursive: true });
    if (existsSync(CA_BUNDLE)) await copyFile(CA_BUNDLE, join(fs, CA_BUNDLE));
    await writeFile(join(fs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n');
    await writeFile(join(fs, 'etc', 'group'), 'root:x:0:\nnonroot:x:65532:\n');
    await mkdir(join(fs, 'tmp'));
    await chmod(join(fs, 'tmp'), 0o1777);
    await mkdir(join(fs, 'home', 'nonroot'), { recursive: true });
    const c = (await buildah(['from', 'scratch'])).trim();
    try {
      await buildah(['copy', c, `${fs}/`, '/']);
      await buildah(['copy', '--chown', '65532:65532', c, join(fs, 'home', 'nonroot'), '/home/nonroot']);
      await buildah([
        'config',
        '--user',
        '65532:65532',
        '--workingdir',
        '/home/nonroot',
        '--entrypoint',
        '["/nodejs/bin/node"]',
        '--env',
        `SSL_CERT_FILE=${CA_BUNDLE}`,
        c,
      ]);
      await buildah(['commit', '--quiet', c, name]);
    } finally {
      await buildah(['rm', c]).catch(() => undefined);
    }
    return name;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
