import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { get as httpsGet } from 'node:https';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testCa, testCertificate } from './certs.js';
import { freePort, start, waitFor, type Child } from './processes.js';

/** A real CNCF distribution registry (Debian's docker-registry), started on 127.0.0.1 for one test file. */
export interface TestRegistry {
  /** `127.0.0.1:PORT`, as references name it. */
  readonly host: string;
  readonly url: string;
  /** The filesystem storage root: blobs live under docker/registry/v2/blobs/sha256/<ab>/<hex>/data. */
  readonly root: string;
  readonly output: () => string;
  stop(): Promise<void>;
}

export type RegistryAuth =
  | { readonly htpasswd: readonly { readonly user: string; readonly password: string }[] }
  | { readonly token: { readonly realm: string; readonly service: string; readonly issuer: string; readonly rootCertBundle: string } };

const BINARY_CANDIDATES = [process.env['DOCKER_REGISTRY_BIN'], '/usr/bin/docker-registry'];

/** The registry binary; the suite fails (never skips) without it, naming the package to install. */
export function registryBinary(): string {
  const found = BINARY_CANDIDATES.find((p): p is string => p !== undefined && existsSync(p));
  if (!found) throw new Error('docker-registry is not installed: apt-get install docker-registry (.ci/run installs it)');
  return found;
}

/** Starts a registry with filesystem storage, the given auth and optionally TLS, and waits until /v2/ answers. */
export async function startRegistry(auth?: RegistryAuth, options: { tls?: { certificate: string; key: string; ca: string } } = {}): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-registry-'));
  const port = await freePort();
  const root = join(dir, 'data');
  const lines = [
    'version: 0.1',
    'log:',
    '  level: info',
    '  accesslog:',
    '    disabled: false',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${root}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    ...(options.tls ? ['  tls:', `    certificate: ${options.tls.certificate}`, `    key: ${options.tls.key}`] : []),
  ];
  if (auth && 'htpasswd' in auth) {
    const file = join(dir, 'htpasswd');
    await writeFile(file, auth.htpasswd.map((u) => `${u.user}:${bcrypt(u.password)}`).join('\n') + '\n');
    lines.push('auth:', '  htpasswd:', '    realm: portcullis-test', `    path: ${file}`);
  } else if (auth) {
    const t = auth.token;
    lines.push('auth:', '  token:', `    realm: ${t.realm}`, `    service: ${t.service}`, `    issuer: ${t.issuer}`, `    rootcertbundle: ${t.rootCertBundle}`);
  }
  const config = join(dir, 'config.yml');
  await writeFile(config, lines.join('\n') + '\n');
  const child: Child = start(registryBinary(), ['serve', config], { cwd: dir });
  const url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  const ca = options.tls ? await readFile(options.tls.ca) : undefined;
  await waitFor(
    async () => {
      const status = await probe(`${url}/v2/`, ca).catch(() => undefined);
      return status === 200 || status === 401 ? true : undefined;
    },
    15_000,
    () => child.output(),
  );
  return { host: `127.0.0.1:${port}`, url, root, output: () => child.output(), stop: () => child.stop() };
}

function probe(url: string, ca: Buffer | undefined): Promise<number | undefined> {
  if (!ca) return fetch(url).then((res) => res.status);
  return new Promise((resolve, reject) => {
    httpsGet(url, { ca }, (res) => {
      res.resume();
      resolve(res.statusCode);
    }).on('error', reject);
  });
}

/** A private CA and a certificate for 127.0.0.1 it signed, made with openssl, for a registry served over TLS. */
export async function testCertificates(dir: string): Promise<{ ca: string; certificate: string; key: string }> {
  await testCa(dir, 'ca', '/CN=portcullis test CA');
  await writeFile(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  await testCertificate(dir, 'tls', { ca: 'ca', ext: 'san.ext', subject: '/CN=127.0.0.1' });
  return { ca: join(dir, 'ca.crt'), certificate: join(dir, 'tls.crt'), key: join(dir, 'tls.key') };
}

/**
 * A bcrypt hash for htpasswd (cost 4, which keeps the registry's per-request
 * check cheap), made by Python's crypt module on glibc's libcrypt, so no extra
 * package is needed.
 */
function bcrypt(password: string): string {
  const script = 'import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))';
  const hash = execFileSync('python3', ['-W', 'ignore', '-c', script, password], { encoding: 'utf8' }).trim();
  if (!hash.startsWith('$2')) throw new Error(`python3 crypt made no bcrypt hash (${hash})`);
  return hash;
}

/** A registry blob's file, for tests that corrupt storage behind the registry's back. */
export function blobPath(registry: TestRegistry, digest: string): string {
  const hex = digest.slice('sha256:'.length);
  return join(registry.root, 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
}

/**
 * A TCP proxy in front of a registry that cuts any connection once the
 * client has sent more than `cutAfterBytes` through it: a registry that goes
 * away in the middle of an upload, at a point the test chooses.
 */
export async function cuttingProxy(target: string, cutAfterBytes: number): Promise<{ host: string; cuts: () => number; close(): Promise<void> }> {
  const [targetHost, targetPort] = target.split(':') as [string, string];
  let cuts = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(targetPort), targetHost);
    sockets.add(client).add(upstream);
    let sent = 0;
    client.on('data', (chunk: Buffer) => {
      sent += chunk.byteLength;
      if (sent > cutAfterBytes) {
        cuts += 1;
        client.resetAndDestroy();
        upstream.destroy();
        return;
      }
      upstream.write(chunk);
    });
    upstream.pipe(client);
    for (const s of [client, upstream]) {
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
      s.on('close', () => sockets.delete(s));
    }
    client.on('end', () => upstream.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    host: `127.0.0.1:${port}`,
    cuts: () => cuts,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
