#!/usr/bin/env node
// Pushes and pulls a ~50 MB bundle with portcullis and with oras (the
// reference OCI CLI, built from tools/oras when missing) against the same
// local registry (Debian's docker-registry, htpasswd auth), in interleaved
// rounds, and prints the medians and ratios.
// Target: portcullis push and pull <= 1.2x oras's time for each.
// Both sides are timed as whole processes (start-up, auth challenge, hashing,
// transfer, digest checks). Each round pushes to fresh repositories, so every
// push uploads the whole layer; portcullis also validates the bundle before
// pushing, which oras does not do.
// Uses the compiled sources: run `npm run build` first.
// Usage: npm run bench:oci [-- --runs N --mb M]
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pinnedToolPath, setupProjectTool } from '../scripts/go-tool.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'bin/portcullis.js');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const runs = Number(arg('--runs', '5'));
const targetMb = Number(arg('--mb', '50'));
const USER = 'bench';
const PASSWORD = 'bench-password';

function oras() {
  try {
    return pinnedToolPath('oras');
  } catch {
    if (setupProjectTool('oras', { required: true }) !== 0) process.exit(1);
    return pinnedToolPath('oras');
  }
}

function registryBinary() {
  const bin = process.env.DOCKER_REGISTRY_BIN ?? '/usr/bin/docker-registry';
  if (!existsSync(bin)) {
    console.error('bench:oci needs the registry: apt-get install docker-registry');
    process.exit(1);
  }
  return bin;
}

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

/** bcrypt for htpasswd, cost 4, from Python's crypt (glibc libcrypt). */
function bcrypt(password) {
  const script = 'import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))';
  return execFileSync('python3', ['-W', 'ignore', '-c', script, password], { encoding: 'utf8' }).trim();
}

async function startRegistry(dir) {
  const port = await freePort();
  writeFileSync(join(dir, 'htpasswd'), `${USER}:${bcrypt(PASSWORD)}\n`);
  const config = [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'data')}`,
    'http:',
    `  addr: 127.0.0.1:${port}`,
    'auth:',
    '  htpasswd:',
    '    realm: bench',
    `    path: ${join(dir, 'htpasswd')}`,
  ].join('\n');
  writeFileSync(join(dir, 'config.yml'), config);
  const child = spawn(registryBinary(), ['serve', join(dir, 'config.yml')], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}/v2/`;
  for (let i = 0; i < 100; i += 1) {
    const status = await fetch(url)
      .then((r) => r.status)
      .catch(() => 0);
    if (status === 401) return { host: `127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error('the registry did not start');
}

/** A valid bundle of about `mb` MB: Rego plus a data file of incompressible text. */
async function makeBundle(dir, mb) {
  const { packBundle } = await import('../dist/src/bundle/index.js');
  // Base64 of random bytes gzips to about 76% of its length.
  const padding = randomBytes(Math.round((mb * 1024 * 1024 * 0.75) / 0.76)).toString('base64');
  const bytes = packBundle({
    manifest: { revision: 'bench', roots: ['bench'], rego_version: 1 },
    data: { bench: { padding } },
    modules: [{ path: '/bench/policy.rego', bytes: new TextEncoder().encode('package bench\n\nallow := true\n') }],
    maxFileBytes: 1024 * 1024 * 1024,
  });
  const path = join(dir, 'bench.tar.gz');
  writeFileSync(path, bytes);
  writeFileSync(join(dir, 'config.json'), '{}');
  return path;
}

function timed(command, args, options = {}) {
  const started = process.hrtime.bigint();
  const run = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 20, ...options });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (run.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${run.stderr || run.stdout}`);
  return ms;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * The floor for a Node CLI doing the same transfer: Node started, the same
 * registry client, the same requests and digest checks, but no command-line
 * parsing, configuration, or bundle check. What portcullis adds above it is
 * its own overhead; what the floor adds above oras is Node's.
 */
function floorScript(dir) {
  const path = join(dir, 'floor.mjs');
  writeFileSync(
    path,
    `const [, , op, ref, file] = process.argv;
const oci = await import(${JSON.stringify(join(ROOT, 'dist/src/oci/index.js'))});
const { readFileSync } = await import('node:fs');
const r = oci.parseReference(ref);
const access = { credentials: oci.credentialLookup({ username: ${JSON.stringify(USER)}, password: ${JSON.stringify(PASSWORD)}, env: {} }) };
const client = new oci.RegistryClient(r.registry, access);
if (op === 'push') {
  const bytes = readFileSync(file);
  const layer = { digest: oci.digestOf(bytes), size: bytes.byteLength };
  const artifact = oci.bundleArtifact(layer, { revision: 'bench', created: new Date().toISOString(), title: 'bench', fileName: 'bench.tar.gz' });
  const blobs = [{ digest: artifact.config.descriptor.digest, bytes: artifact.config.bytes }, { digest: layer.digest, bytes }];
  await oci.pushArtifact(client, blobs, async () => artifact.manifest, [{ repository: r.repository, tags: [r.tag] }]);
} else {
  const resolved = await oci.resolveBundle(client, r);
  await oci.fetchBundleLayer(client, r, resolved.layer, { maxBytes: 1 << 30, toFile: file });
}
client.close();
`,
  );
  return path;
}

/** CPU time of the check push runs before it lets a tag move (reading the bundle as an agent would), in this process. */
async function bundleCheckMs(bundle) {
  const { loadBundle, DEFAULT_READ_LIMITS } = await import('../dist/src/bundle/index.js');
  const bytes = readFileSync(bundle);
  const samples = [];
  for (let i = 0; i < 3; i += 1) {
    const before = process.cpuUsage();
    loadBundle(bytes, { ...DEFAULT_READ_LIMITS, maxFileBytes: 1 << 30 });
    const used = process.cpuUsage(before);
    samples.push((used.user + used.system) / 1000);
  }
  return median(samples);
}

const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-oci-'));
const orasBin = oras();
const registry = await startRegistry(dir);
try {
  const bundle = await makeBundle(dir, targetMb);
  const size = statSync(bundle).size;
  const env = { ...process.env, PORTCULLIS_REGISTRY_USERNAME: USER, PORTCULLIS_REGISTRY_PASSWORD: PASSWORD, DOCKER_CONFIG: join(dir, 'docker') };
  const orasAuth = ['--plain-http', '-u', USER, '-p', PASSWORD, '--registry-config', join(dir, 'docker', 'config.json')];
  mkdirSync(join(dir, 'docker'), { recursive: true });
  const floor = floorScript(dir);
  const times = { push: { portcullis: [], oras: [], floor: [] }, pull: { portcullis: [], oras: [], floor: [] } };
  for (let round = 0; round <= runs; round += 1) {
    // Round 0 warms the page cache and the registry; it is not counted.
    const record = (op, tool, ms) => round > 0 && times[op][tool].push(ms);
    const pcRef = `${registry.host}/bench/portcullis-${round}:latest`;
    const orasRef = `${registry.host}/bench/oras-${round}:latest`;
    const floorRef = `${registry.host}/bench/floor-${round}:latest`;
    const pushes = [
      ['portcullis', () => timed(process.execPath, [CLI, 'push', bundle, pcRef], { env })],
      ['floor', () => timed(process.execPath, [floor, 'push', floorRef, bundle])],
      [
        'oras',
        () =>
          timed(
            orasBin,
            [
              'push',
              ...orasAuth,
              orasRef,
              '--config',
              'config.json:application/vnd.oci.image.config.v1+json',
              'bench.tar.gz:application/vnd.oci.image.layer.v1.tar+gzip',
            ],
            { cwd: dir, env },
          ),
      ],
    ];
    // Alternate which tool goes first, so neither always meets a warmer system.
    for (const [tool, run] of round % 2 ? pushes.reverse() : pushes) record('push', tool, run());
    const out = join(dir, `out-${round}`);
    mkdirSync(out, { recursive: true });
    const pulls = [
      ['portcullis', () => timed(process.execPath, [CLI, 'pull', pcRef, '-o', join(out, 'portcullis.tar.gz')], { env })],
      ['floor', () => timed(process.execPath, [floor, 'pull', floorRef, join(out, 'floor.tar.gz')])],
      ['oras', () => timed(orasBin, ['pull', ...orasAuth, orasRef, '-o', join(out, 'oras')], { env })],
    ];
    for (const [tool, run] of round % 2 ? pulls.reverse() : pulls) record('pull', tool, run());
    const same = readFileSync(join(out, 'portcullis.tar.gz')).equals(readFileSync(join(out, 'oras', 'bench.tar.gz')));
    if (!same) throw new Error('portcullis and oras pulled different bytes');
    rmSync(out, { recursive: true, force: true });
  }
  console.log(`bench:oci: a ${(size / 1024 / 1024).toFixed(1)} MiB bundle, docker-registry on 127.0.0.1 with htpasswd auth, median of ${runs} rounds`);
  console.log('operation   portcullis      oras   ratio   target        Node floor   floor/oras');
  let failed = false;
  for (const op of ['push', 'pull']) {
    const pc = median(times[op].portcullis);
    const or = median(times[op].oras);
    const fl = median(times[op].floor);
    const ratio = pc / or;
    failed ||= ratio > 1.2;
    const verdict = `<= 1.2x ${ratio <= 1.2 ? 'ok    ' : 'MISSED'}`;
    console.log(
      `${op.padEnd(9)} ${pc.toFixed(0).padStart(9)} ms ${or.toFixed(0).padStart(6)} ms   ${ratio.toFixed(2)}x   ${verdict} ${fl.toFixed(0).padStart(6)} ms   ${(fl / or).toFixed(2)}x`,
    );
  }
  const startup = median([0, 1, 2].map(() => timed(process.execPath, ['-e', ''])));
  const check = await bundleCheckMs(bundle);
  console.log(
    `Node start-up alone: ${startup.toFixed(0)} ms; push's bundle check (gunzip, tar, manifest, data, roots): ${check.toFixed(0)} ms CPU, in a worker beside the upload`,
  );
  process.exitCode = failed ? 1 : 0;
} finally {
  registry.stop();
  rmSync(dir, { recursive: true, force: true });
}
