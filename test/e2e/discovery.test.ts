import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeFileAtomic } from '../../src/compile/index.js';
import { generateKeyMaterial, loadSigningKey, signBundle, type GeneratedKey } from '../../src/sign/index.js';
import { tinyBundle } from '../helpers/bundles.js';
import { toolchain } from '../helpers/opa.js';
import { CLI, freePort, start, waitFor, type Child } from '../helpers/processes.js';

// Three agents that know only the discovery URL and their labels: each gets
// its group's bundles, signing keys and long polling from the signed
// discovery bundle, and a publish reaches every agent of the group at once.
describe('agents bootstrapped only by discovery', () => {
  let dir: string;
  let server: Child & { url: string };
  const agents: { labels: Record<string, string>; url: string; child: Child }[] = [];
  let bundleKey: GeneratedKey;

  const sign = async (bytes: Uint8Array) =>
    signBundle(bytes, { algorithm: 'ES256', key: loadSigningKey(bundleKey.privateMaterial, 'ES256', 'test'), keyId: 'bundles-2026' });
  const publish = async (name: string, revision: string, root: string) =>
    writeFileAtomic(join(dir, 'bundles', `${name}.tar.gz`), await sign(tinyBundle(revision, [root])));
  const revisionOf = async (url: string, bundle: string) => {
    const res = await fetch(`${url}/v1/data/system/bundles/${bundle}/manifest/revision`).catch(() => undefined);
    return res?.ok ? ((await res.json()) as { result?: string }).result : undefined;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'portcullis-discovery-'));
    bundleKey = generateKeyMaterial('ES256', 'bundles-2026');
    const discoveryKey = generateKeyMaterial('RS256', 'discovery');
    await writeFile(join(dir, 'bundles.pub.pem'), bundleKey.publicPem!);
    await writeFile(join(dir, 'discovery.pub.pem'), discoveryKey.publicPem!);
    await writeFile(join(dir, 'discovery.key.pem'), discoveryKey.privateMaterial, { mode: 0o600 });
    await publish('prod-policy', 'p1', 'prodp');
    await publish('dev-policy', 'd1', 'devp');
    const config = {
      bundles: { dir: 'bundles', signing: { required: true } },
      keys: { 'bundles-2026': { algorithm: 'ES256', key: 'bundles.pub.pem' }, discovery: { algorithm: 'RS256', key: 'discovery.pub.pem' } },
      fleet: {
        discovery: { signing: { key: 'discovery.key.pem', algorithm: 'RS256', keyid: 'discovery' } },
        groups: [
          { name: 'prod', labels: { env: 'prod' }, bundles: ['prod-policy'], keyid: 'bundles-2026', long_polling_timeout_seconds: 20, polling: { min_delay_seconds: 120, max_delay_seconds: 180 } },
          { name: 'dev', labels: { env: 'dev' }, bundles: ['dev-policy'], keyid: 'bundles-2026', long_polling_timeout_seconds: 20, polling: { min_delay_seconds: 120, max_delay_seconds: 180 } },
        ],
      },
    };
    await writeFile(join(dir, 'portcullis.json'), JSON.stringify(config));
    const child = start(process.execPath, [CLI, 'serve', '--config', join(dir, 'portcullis.json'), '--listen', '127.0.0.1:0'], { cwd: dir });
    const url = await waitFor(() => /"url":"([^"]+)"/.exec(child.output().split('\n').find((l) => l.includes('"msg":"listening"')) ?? '')?.[1], 15_000, () => child.output());
    server = { ...child, url };
    for (const env of ['prod', 'dev', 'prod']) {
      const port = await freePort();
      const boot = {
        labels: { env },
        services: { portcullis: { url: server.url } },
        discovery: { service: 'portcullis', resource: 'bundles/discovery', decision: 'portcullis/discovery/config', signing: { keyid: 'discovery' } },
        keys: { discovery: { algorithm: 'RS256', key: discoveryKey.publicPem } },
      };
      const bootFile = join(dir, `agent-${port}.json`);
      await writeFile(bootFile, JSON.stringify(boot));
      const agent = start(toolchain().opa, ['run', '--server', '--addr', `127.0.0.1:${port}`, '--config-file', bootFile, '--log-level', 'error']);
      agents.push({ labels: { env }, url: `http://127.0.0.1:${port}`, child: agent });
    }
    for (const a of agents) {
      const bundle = a.labels['env'] === 'prod' ? 'prod-policy' : 'dev-policy';
      await waitFor(async () => ((await revisionOf(a.url, bundle)) ? true : undefined), 30_000, () => a.child.output() + server.output());
    }
  });

  after(async () => {
    await Promise.all(agents.map((a) => a.child.stop()));
    await server?.stop();
  });

  it('gives each agent the bundles of its group and nothing else', async () => {
    for (const a of agents) {
      const prod = a.labels['env'] === 'prod';
      assert.equal(await revisionOf(a.url, prod ? 'prod-policy' : 'dev-policy'), prod ? 'p1' : 'd1');
      assert.equal(await revisionOf(a.url, prod ? 'dev-policy' : 'prod-policy'), undefined);
      const labels = (await (await fetch(`${a.url}/v1/config`)).json()) as { result: { labels: Record<string, string> } };
      assert.equal(labels.result.labels['portcullis_group'], prod ? 'prod' : 'dev');
    }
  });

  it('pushes a new signed revision to every agent of the group through long polling', async () => {
    await publish('prod-policy', 'p2', 'prodp');
    for (const a of agents.filter((x) => x.labels['env'] === 'prod')) {
      await waitFor(async () => ((await revisionOf(a.url, 'prod-policy')) === 'p2' ? true : undefined), 20_000, () => a.child.output());
    }
    const dev = agents.find((x) => x.labels['env'] === 'dev')!;
    assert.equal(await revisionOf(dev.url, 'dev-policy'), 'd1');
  });

  it('keeps agents on the last good revision when an unsigned bundle is dropped in', async () => {
    await writeFileAtomic(join(dir, 'bundles', 'prod-policy.tar.gz'), tinyBundle('p3-unsigned', ['prodp']));
    const states = await waitFor(async () => {
      const body = (await (await fetch(`${server.url}/v1/bundles`)).json()) as { bundles: { name: string; lastError?: string; revision?: string }[] };
      const prod = body.bundles.find((b) => b.name === 'prod-policy');
      return prod?.lastError ? prod : undefined;
    }, 10_000);
    assert.equal(states.revision, 'p2');
    for (const a of agents.filter((x) => x.labels['env'] === 'prod')) assert.equal(await revisionOf(a.url, 'prod-policy'), 'p2');
  });
});
