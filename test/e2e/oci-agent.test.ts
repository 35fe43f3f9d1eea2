import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readTarGz, writeTarGz } from '../../src/bundle/index.js';
import { toolchain } from '../helpers/opa.js';
import { generateKeys, runCli, signBundle, writeBundle } from '../helpers/oci.js';
import { CLI, freePort, start, waitFor, type Child } from '../helpers/processes.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';

const USER = 'alice';
const PASSWORD = 'agent-pass';
const ENV = { PORTCULLIS_REGISTRY_USERNAME: USER, PORTCULLIS_REGISTRY_PASSWORD: PASSWORD, DOCKER_CONFIG: '/nonexistent' };

/**
 * One real OPA agent with two `type: oci` services: the registry itself
 * (bundle `alpha`) and a portcullis server that takes bundle `beta` from the
 * same registry and serves it on its /v2/ API. Every bundle is pushed and
 * signed by portcullis; the agent verifies the signatures.
 */
describe('a real OPA agent pulls portcullis-pushed, signed bundles from a registry and from serve /v2/', () => {
  let registry: TestRegistry;
  let dir: string;
  let keys: { privateKey: string; publicKey: string };
  let servers: (Child & { url: string })[] = [];
  let opa: Child;
  let opaUrl: string;

  const push = async (name: string, revision: string, tag: string, options: { signed?: boolean; tamper?: boolean } = {}) => {
    const bundle = await writeBundle(join(dir, revision), name, revision, { root: name, value: revision });
    if (options.signed !== false) await signBundle(bundle, keys.privateKey, 'k1');
    if (options.tamper) {
      // The signature stays; the data it covers changes.
      const files = readTarGz(await readFile(bundle)).map((f) =>
        f.path === '/data.json' ? { path: f.path, bytes: new TextEncoder().encode(JSON.stringify({ [name]: { value: 'tampered' } })) } : f,
      );
      await writeFile(bundle, writeTarGz(files));
    }
    const run = await runCli(['push', bundle, `${registry.host}/policies:${tag}`], { env: ENV });
    assert.equal(run.status, 0, run.stderr);
    return /^Digest: (\S+)$/m.exec(run.stdout)?.[1] as string;
  };
  const value = async (name: string) => {
    const res = await fetch(`${opaUrl}/v1/data/${name}/value`);
    return ((await res.json()) as { result?: string }).result;
  };
  const revision = async (name: string) => {
    const res = await fetch(`${opaUrl}/v1/data/system/bundles/${name}/manifest/revision`);
    return ((await res.json()) as { result?: string }).result;
  };
  const until = (probe: () => Promise<boolean>, ms = 30_000) =>
    waitFor(
      async () => ((await probe()) ? true : undefined),
      ms,
      () => `${opa.output().slice(-3000)}\n--- serve ---\n${servers.map((s) => s.output().slice(-2000)).join('\n')}`,
    );

  const startServe = async (name: string): Promise<Child & { url: string }> => {
    const config = join(dir, `${name}.yaml`);
    await writeFile(
      config,
      [
        'server:',
        '  listen: 127.0.0.1:0',
        'bundles:',
        `  source: oci://${registry.host}/policies`,
        '  oci:',
        '    tags: { beta: beta-live }',
        '    poll_interval_seconds: 1',
        `    username: ${USER}`,
        '    password_env: OCI_TEST_PASSWORD',
        'keys:',
        `  k1: { algorithm: ES256, key: ${keys.publicKey} }`,
        'state:',
        `  dir: ${join(dir, `${name}-state`)}`,
      ].join('\n'),
    );
    const child = start(process.execPath, [CLI, 'serve', '--config', config], { cwd: dir, env: { OCI_TEST_PASSWORD: PASSWORD, PORTCULLIS_LOG_LEVEL: 'info' } });
    const url = await waitFor(
      () => /"url":"([^"]+)","bundles":"oci:/.exec(child.output())?.[1],
      20_000,
      () => child.output(),
    );
    return { ...child, url };
  };

  before(async () => {
    registry = await startRegistry({ htpasswd: [{ user: USER, password: PASSWORD }] });
    dir = await mkdtemp(join(tmpdir(), 'portcullis-oci-agent-'));
    keys = await generateKeys(dir, 'k1');
    await push('alpha', 'a1', 'alpha-live');
    await push('beta', 'b1', 'beta-live');
    servers = [await startServe('serve-1')];
    const serveHost = new URL(servers[0]?.url ?? '').host;
    const port = await freePort();
    opaUrl = `http://127.0.0.1:${port}`;
    const polling = { min_delay_seconds: 1, max_delay_seconds: 1 };
    const config = {
      services: {
        registry: { url: registry.url, type: 'oci', credentials: { bearer: { scheme: 'Basic', token: `${USER}:${PASSWORD}` } } },
        portcullis: { url: servers[0]?.url, type: 'oci' },
      },
      bundles: {
        alpha: { service: 'registry', resource: `${registry.host}/policies:alpha-live`, polling, signing: { keyid: 'k1' } },
        beta: { service: 'portcullis', resource: `${serveHost}/bundles/beta:latest`, polling, signing: { keyid: 'k1' } },
      },
      keys: { k1: { algorithm: 'ES256', key: await readFile(keys.publicKey, 'utf8') } },
      persistence_directory: join(dir, 'opa'),
    };
    await writeFile(join(dir, 'opa.json'), JSON.stringify(config));
    opa = start(toolchain().opa, ['run', '--server', '--addr', `127.0.0.1:${port}`, '--config-file', join(dir, 'opa.json'), '--log-level', 'error']);
    await until(async () => (await fetch(`${opaUrl}/health?bundles`).catch(() => undefined))?.status === 200);
  });

  after(async () => {
    await opa?.stop();
    for (const s of servers) await s.stop();
    await registry?.stop();
  });

  it('activates the signed bundles, from the registry and from serve', async () => {
    assert.equal(await revision('alpha'), 'a1');
    assert.equal(await value('alpha'), 'a1');
    assert.equal(await revision('beta'), 'b1');
    assert.equal(await value('beta'), 'b1');
  });

  it('picks up a second push on its next poll', async () => {
    await push('alpha', 'a2', 'alpha-live');
    await until(async () => (await revision('alpha')) === 'a2');
    assert.equal(await value('alpha'), 'a2');
  });

  it('refuses a tampered bundle and keeps the last good one', async () => {
    const refusals = () =>
      opa
        .output()
        .split('\n')
        .filter((l) => l.includes('Bundle load failed') && l.includes('"name":"alpha"') && l.includes('digest mismatch')).length;
    assert.equal(refusals(), 0);
    await push('alpha', 'a3', 'alpha-live', { tamper: true });
    await until(async () => refusals() > 0);
    assert.equal(await revision('alpha'), 'a2');
    assert.equal(await value('alpha'), 'a2');
  });

  it('follows a push through serve: the registry, then serve, then the agent on /v2/', async () => {
    await push('beta', 'b2', 'beta-live');
    await until(async () => (await revision('beta')) === 'b2');
    assert.equal(await value('beta'), 'b2');
  });

  it('replicas that read the same repository serve the same bytes under the same ETag and manifest digest', async () => {
    servers.push(await startServe('serve-2'));
    const [one, two] = servers as [Child & { url: string }, Child & { url: string }];
    await until(async () => (await fetch(`${two.url}/bundles/beta`)).status === 200);
    const a = await fetch(`${one.url}/bundles/beta`);
    const b = await fetch(`${two.url}/bundles/beta`);
    assert.equal(a.headers.get('etag'), b.headers.get('etag'));
    assert.deepEqual(new Uint8Array(await a.arrayBuffer()), new Uint8Array(await b.arrayBuffer()));
    const layer = await fetch(`${registry.url}/v2/policies/manifests/beta-live`, {
      headers: { Authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`, Accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    const digest = ((await layer.json()) as { layers: { digest: string }[] }).layers[0]?.digest;
    assert.equal(a.headers.get('etag'), `"${digest?.slice('sha256:'.length)}"`);
    const heads = await Promise.all(servers.map((s) => fetch(`${s.url}/v2/bundles/beta/manifests/latest`, { method: 'HEAD' })));
    assert.equal(heads[0]?.headers.get('docker-content-digest'), heads[1]?.headers.get('docker-content-digest'));
  });

  it('serve refuses a tampered bundle from the repository like one from its folder, and keeps serving the last good one', async () => {
    const before = (await fetch(`${servers[0]?.url}/bundles/beta`)).headers.get('etag');
    await push('beta', 'b3', 'beta-live', { tamper: true });
    const state = async () => {
      const res = await fetch(`${servers[0]?.url}/v1/bundles`);
      return ((await res.json()) as { bundles: { name: string; lastError?: string; revision?: string }[] }).bundles.find((b) => b.name === 'beta');
    };
    await until(async () => /digest mismatch|signature/i.test((await state())?.lastError ?? ''));
    assert.equal((await state())?.revision, 'b2');
    assert.equal((await fetch(`${servers[0]?.url}/bundles/beta`)).headers.get('etag'), before);
    assert.equal(await revision('beta'), 'b2');
  });
});
