import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packBundle } from '../../src/bundle/index.js';
import { CLI, REPO } from './processes.js';

export interface CliRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the built CLI without blocking the event loop, so servers the test
 * itself runs (a token service, a fault proxy) keep answering meanwhile.
 */
export function runCli(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? REPO,
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/**
 * A small synthetic bundle (Rego and data, no Wasm) written to `dir`, with
 * `padding` bytes of incompressible data when a test needs a large archive.
 */
export async function writeBundle(
  dir: string,
  name: string,
  revision: string,
  options: { root?: string; value?: unknown; padding?: number } = {},
): Promise<string> {
  const root = options.root ?? 'oci';
  const data: Record<string, unknown> = { value: options.value ?? revision };
  if (options.padding) data['padding'] = randomBytes(options.padding).toString('base64');
  const bytes = packBundle({
    manifest: { revision, roots: [root], rego_version: 1 },
    data: { [root]: data } as never,
    modules: [{ path: `/${root}/policy.rego`, bytes: new TextEncoder().encode(`package ${root}\n\nrevision := "${revision}"\n`) }],
    maxFileBytes: 512 * 1024 * 1024,
  });
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${name}.tar.gz`);
  await writeFile(path, bytes);
  return path;
}

/** Generates an ES256 key pair with the CLI into `dir` and returns the key file paths. */
export async function generateKeys(dir: string, kid: string): Promise<{ privateKey: string; publicKey: string }> {
  const run = await runCli(['keys', 'generate', '--alg', 'ES256', '--kid', kid, '--out', dir]);
  if (run.status !== 0) throw new Error(`keys generate failed: ${run.stderr}`);
  return { privateKey: join(dir, `${kid}.key.pem`), publicKey: join(dir, `${kid}.pub.pem`) };
}

/** Signs a bundle in place with the CLI. */
export async function signBundle(bundle: string, privateKey: string, kid: string): Promise<void> {
  const run = await runCli(['sign', bundle, '--alg', 'ES256', '--key', privateKey, '--kid', kid]);
  if (run.status !== 0) throw new Error(`sign failed: ${run.stderr}`);
}
