import { mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { loadBundle, writeTarGz, type BundleFile } from '../../src/bundle/index.js';
import { loadConfig } from '../../src/config/index.js';
import { startServer, type RunningServer } from '../../src/serve/index.js';
import { REPO } from './processes.js';

/** One JSON log line of the server. */
export interface LogLine {
  readonly level: string;
  readonly msg: string;
  readonly [key: string]: unknown;
}

export interface TestServer {
  readonly url: string;
  readonly server: RunningServer;
  /** The folder holding bundles/, state/ and portcullis.yaml. */
  readonly dir: string;
  readonly bundlesDir: string;
  /** Every line logged so far, at debug level and above. */
  logs(): LogLine[];
  close(): Promise<void>;
}

/**
 * `portcullis serve` in this process, as the command starts it: a
 * configuration file (`yaml`, with state under the scratch folder) loaded by
 * loadConfig and started by startServer on a free loopback port, over a
 * bundle folder holding `bundles` (name to archive bytes). Logs are kept.
 */
export async function startTestServer(options: { bundles?: Record<string, Uint8Array>; yaml?: string; symlinkBundles?: boolean } = {}): Promise<TestServer> {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-server-'));
  const bundlesDir = join(dir, 'bundles');
  // With symlinkBundles the folder is a link to bundles.d, so a test can swap what it points to in one step.
  const folder = options.symlinkBundles ? `${bundlesDir}.d` : bundlesDir;
  await mkdir(folder);
  if (options.symlinkBundles) await symlink(folder, bundlesDir);
  for (const [name, bytes] of Object.entries(options.bundles ?? {})) await writeFile(join(folder, `${name}.tar.gz`), bytes);
  const file = join(dir, 'portcullis.yaml');
  // The inventory evaluates on the main thread unless a test configures it: worker threads would start with every server.
  const yaml = options.yaml ?? '';
  const inventory = /^inventory:/m.test(yaml) ? '' : 'inventory:\n  workers: 0\n';
  await writeFile(file, `state:\n  dir: state\nlog:\n  level: debug\n${inventory}${yaml}`);
  const config = await loadConfig(file, { listen: '127.0.0.1:0', bundlesDir });
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  const logger = pino({ level: 'debug', base: null, formatters: { level: (label) => ({ level: label }) } }, sink);
  const server = await startServer(config, logger);
  return { url: server.url, server, dir, bundlesDir, logs: () => [...lines], close: () => server.close() };
}

/** The golden image-policy bundle: a real opa-built Wasm module (entrypoints portcullis/image/pinned/{deny,allow}). */
export async function goldenPolicyBundle(): Promise<Uint8Array> {
  return new Uint8Array(await readFile(join(REPO, 'test/golden/image-policy.tar.gz')));
}

/** `bundle` with the file at `path` replaced (or added) by `bytes`, repacked. */
export function withFile(bundle: Uint8Array, path: string, bytes: Uint8Array): Uint8Array {
  const files: BundleFile[] = loadBundle(bundle).files.filter((f) => f.path !== path);
  return writeTarGz([...files, { path, bytes }]);
}
