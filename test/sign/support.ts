import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeTarGz, type BundleFile } from '../../src/bundle/index.js';
import { canonicalJson } from '../../src/core/index.js';
import { generateKeyMaterial, loadSigningKey, type GeneratedKey, type SignOptions, type SigningAlgorithm } from '../../src/sign/index.js';
import { toolchain } from '../helpers/opa.js';
import { start, waitFor, type Child } from '../helpers/processes.js';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = join(REPO, 'bin/portcullis.js');

const enc = new TextEncoder();

export function text(path: string, body: string): BundleFile {
  return { path, bytes: enc.encode(body) };
}

export async function scratch(prefix = 'portcullis-sign-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** A small snapshot bundle under `root`: manifest with the revision, canonical data, one Rego module. */
export function bundleFiles(root: string, revision: string, extra: readonly BundleFile[] = []): BundleFile[] {
  return [
    text('/.manifest', canonicalJson({ revision, roots: [root], rego_version: 1 })),
    text(`/${root}/data.json`, canonicalJson({ revision, limit: 3 })),
    text(`/${root}/policy.rego`, `package ${root}\n\nallow if input.n < data.${root}.limit\n`),
    ...extra,
  ];
}

export function bundleBytes(root: string, revision: string, extra: readonly BundleFile[] = []): Uint8Array {
  return writeTarGz(bundleFiles(root, revision, extra));
}

/** A generated key with its files written, for the CLI and for OPA's config. */
export interface TestKey extends GeneratedKey {
  /** PEM private key, or the secret file for HMAC. */
  readonly privatePath: string;
  /** PEM public key, or the secret file for HMAC: what a verifier is given. */
  readonly verifyPath: string;
  /** The `keys.<id>.key` value for an OPA config: public PEM text, or the secret itself. */
  readonly opaKey: string;
  readonly sign: (extra?: Partial<SignOptions>) => SignOptions;
}

export async function testKey(dir: string, alg: SigningAlgorithm, keyId: string): Promise<TestKey> {
  const key = generateKeyMaterial(alg, keyId);
  const privatePath = join(dir, `${keyId}.${key.publicPem ? 'key.pem' : 'secret'}`);
  await writeFile(privatePath, key.privateMaterial, { mode: 0o600 });
  let verifyPath = privatePath;
  if (key.publicPem) {
    verifyPath = join(dir, `${keyId}.pub.pem`);
    await writeFile(verifyPath, key.publicPem);
  }
  const opaKey = key.publicPem ?? Buffer.from(key.privateMaterial).toString('utf8');
  const signingKey = loadSigningKey(key.privateMaterial, alg, keyId);
  return { ...key, privatePath, verifyPath, opaKey, sign: (extra = {}) => ({ algorithm: alg, key: signingKey, keyId, ...extra }) };
}

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program with an argument array (never a shell) and collects its result. */
export function run(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      command,
      [...args],
      { cwd: options.cwd ?? REPO, env: { ...process.env, ...options.env }, timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end();
  });
}

export function portcullis(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return run(process.execPath, [CLI, ...args], { env });
}

/**
 * `opa run --bundle` with a verification key and stdin closed: OPA loads and
 * verifies the bundle, then its REPL reads end-of-input and exits 0. A bundle
 * OPA refuses makes it exit 1 with the reason, before the REPL starts.
 */
export function opaRunBundle(bundlePath: string, key: TestKey, extra: readonly string[] = []): Promise<Run> {
  return run(toolchain().opa, ['run', '--bundle', '--verification-key', key.verifyPath, '--signing-alg', key.algorithm, ...extra, bundlePath]);
}

// Child processes, waiting and `portcullis serve` come from the suite's shared helpers.
export { start, startPortcullis, waitFor, type Child } from '../helpers/processes.js';

/**
 * A plain HTTP bundle server that serves whatever bytes the test sets, with a
 * content ETag, and counts requests: it lets a test hand a real OPA agent
 * bundles that portcullis itself would refuse to publish.
 */
export class StaticBundleServer {
  private readonly bundles = new Map<string, Uint8Array>();
  private readonly hits = new Map<string, number>();
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const name = (req.url ?? '').replace(/^\/bundles\//, '');
      this.hits.set(name, (this.hits.get(name) ?? 0) + 1);
      const bytes = this.bundles.get(name);
      if (!bytes) {
        res.writeHead(404).end();
        return;
      }
      const etag = `"${createHash('sha256').update(bytes).digest('hex')}"`;
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, { ETag: etag }).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/gzip', ETag: etag }).end(Buffer.from(bytes));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const address = this.server.address() as { port: number };
    this.url = `http://127.0.0.1:${address.port}`;
  }

  set(name: string, bytes: Uint8Array): void {
    this.bundles.set(name, bytes);
  }

  requests(name: string): number {
    return this.hits.get(name) ?? 0;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** One `opa run --server` agent with a config file, and helpers to read its bundle state. */
export class OpaAgent {
  private child: Child | undefined;
  private readonly seen = new Map<string, BundleStatus>();
  url = '';

  constructor(private readonly dir: string) {}

  async start(config: unknown, name = 'opa.json'): Promise<void> {
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    const file = join(this.dir, name);
    await writeFile(file, JSON.stringify(config, null, 2));
    this.child = start(toolchain().opa, ['run', '--server', '--addr', `127.0.0.1:${port}`, '--config-file', file, '--log-level', 'error']);
    await waitFor(
      async () => ((await fetch(`${this.url}/health`).catch(() => undefined))?.status === 200 ? true : undefined),
      30_000,
      () => this.output(),
    );
  }

  /** The tail of OPA's output (its console status log is long). */
  output(): string {
    return (this.child?.output() ?? '').slice(-4000);
  }

  async get(path: string): Promise<unknown> {
    const res = await fetch(`${this.url}${path}`);
    return ((await res.json()) as { result?: unknown }).result;
  }

  /** The revision OPA activated for bundle `name`, from its store. */
  async revision(name: string): Promise<string | undefined> {
    return (await this.get(`/v1/data/system/bundles/${encodeURIComponent(name)}/manifest/revision`)) as string | undefined;
  }

  /** The bundle's entry in OPA's status plugin snapshot (needs `status.console` in the config). */
  async status(name: string): Promise<BundleStatus | undefined> {
    const status = (await this.get('/v1/status')) as { bundles?: Record<string, BundleStatus> } | undefined;
    const bundle = status?.bundles?.[name];
    if (bundle) this.seen.set(name, bundle);
    return bundle;
  }

  /** The last status read for `name`, for failure messages. */
  lastStatus(name: string): string {
    const { metrics: _metrics, ...rest } = (this.seen.get(name) ?? {}) as BundleStatus & { metrics?: unknown };
    return JSON.stringify(rest);
  }

  waitForRevision(name: string, revision: string, timeoutMs = 30_000): Promise<true> {
    return waitFor(
      async () => ((await this.revision(name)) === revision ? true : undefined),
      timeoutMs,
      () => this.output(),
    );
  }

  async stop(): Promise<void> {
    await this.child?.stop();
  }
}

export interface BundleStatus {
  readonly name: string;
  readonly active_revision?: string;
  readonly last_request?: string;
  readonly last_successful_request?: string;
  readonly last_successful_download?: string;
  readonly last_successful_activation?: string;
  readonly code?: string;
  readonly message?: string;
  readonly errors?: readonly string[];
}

/** OPA config for one agent polling `url` every second for the named bundles, verifying with `keys`. */
export function agentConfig(
  url: string,
  bundles: Record<string, { signing?: Record<string, unknown>; resource?: string }>,
  keys: Record<string, { key: string; algorithm: string; scope?: string }>,
): unknown {
  return {
    services: { origin: { url } },
    bundles: Object.fromEntries(
      Object.entries(bundles).map(([name, b]) => [
        name,
        {
          service: 'origin',
          resource: b.resource ?? `bundles/${name}`,
          polling: { min_delay_seconds: 1, max_delay_seconds: 1 },
          ...(b.signing ? { signing: b.signing } : {}),
        },
      ]),
    ),
    keys,
    status: { console: true },
  };
}
