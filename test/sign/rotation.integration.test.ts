import * as assert from 'node:assert/strict';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadVerificationKey, signBundle, verifyBundle, type VerificationKey } from '../../src/sign/index.js';
import { agentConfig, bundleBytes, OpaAgent, scratch, startPortcullis, testKey, waitFor, type BundleStatus, type Child, type TestKey } from './support.js';

// Key rotation as docs/signing.md describes it, with real agents polling
// portcullis serve:
//   1. agents trust A and B (no pinned keyid: the token's kid picks the key;
//      the `signing` block still makes a signature mandatory in OPA 1.x);
//   2. bundles move from A to B;
//   3. A is removed from the agents and from the server.
// A watcher samples the agent's status and the served bytes all along: no
// bundle may be rejected and every served bundle must carry a valid signature.

const SCOPE = 'prod';

describe('rotation: agents move from key A to key B with no rejection and no unsigned window', () => {
  let dir: string;
  let served: string;
  let a: TestKey;
  let b: TestKey;
  let server: (Child & { url: string }) | undefined;
  let agent: OpaAgent | undefined;
  let stale: OpaAgent | undefined;
  const errors: BundleStatus[] = [];
  const unsigned: string[] = [];
  let samples = 0;
  let watching = false;
  let watcher: Promise<void> | undefined;

  const trusted = (...keys: TestKey[]) => Object.fromEntries(keys.map((k) => [k.keyId, { key: k.opaKey, algorithm: k.algorithm }]));
  const serverConfig = async (...keys: TestKey[]) => {
    const file = join(dir, `portcullis-${keys.map((k) => k.keyId).join('')}.yaml`);
    const config = {
      keys: Object.fromEntries(keys.map((k) => [k.keyId, { algorithm: k.algorithm, key: k.verifyPath }])),
      bundles: { signing: { required: true, scope: SCOPE } },
    };
    await writeFile(file, JSON.stringify(config));
    return file;
  };
  const publish = async (revision: string, key: TestKey) => {
    const temp = join(served, '.app.tar.gz.tmp');
    await writeFile(temp, await signBundle(bundleBytes('app', revision), key.sign({ scope: SCOPE })));
    await rename(temp, join(served, 'app.tar.gz'));
  };
  const verificationKeys = (): Map<string, VerificationKey> =>
    new Map([a, b].map((k) => [k.keyId, { algorithm: k.algorithm, key: loadVerificationKey(new TextEncoder().encode(k.opaKey), k.algorithm, k.keyId) }]));

  /** Samples every 200 ms: the agent's bundle status, and whether the served bundle verifies as a signed bundle. */
  const watch = async () => {
    const keys = verificationKeys();
    while (watching) {
      const status = await agent?.status('app').catch(() => undefined);
      if (status?.code) errors.push(status);
      if (server) {
        const res = await fetch(`${server.url}/bundles/app`).catch(() => undefined);
        if (res?.status === 200) {
          const bytes = new Uint8Array(await res.arrayBuffer());
          await verifyBundle(bytes, { keys, scope: SCOPE, required: true }).catch((err: Error) => unsigned.push(err.message));
          samples++;
        }
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  before(async () => {
    dir = await scratch();
    served = join(dir, 'served');
    await mkdir(served);
    a = await testKey(dir, 'ES256', 'key-a');
    b = await testKey(dir, 'ES256', 'key-b');
  });

  after(async () => {
    watching = false;
    await watcher;
    await agent?.stop();
    await stale?.stop();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('rotates A → B through the three steps', async () => {
    // Step 0, before rotation: bundles signed with A; the server trusts A and B.
    await publish('r1-a', a);
    server = await startPortcullis(served, ['--config', await serverConfig(a, b)]);

    // Step 1: agents trust A and B. A stale agent that trusts only A shows why this step comes first.
    agent = new OpaAgent(join(dir));
    await agent.start(agentConfig(server.url, { app: { signing: { scope: SCOPE } } }, trusted(a, b)), 'agent.json');
    stale = new OpaAgent(join(dir));
    await stale.start(agentConfig(server.url, { app: { signing: { scope: SCOPE } } }, trusted(a)), 'stale.json');
    await agent.waitForRevision('app', 'r1-a');
    await stale.waitForRevision('app', 'r1-a');
    watching = true;
    watcher = watch();

    // Step 2: bundles move to B.
    await publish('r2-b', b);
    await agent.waitForRevision('app', 'r2-b');
    const staleStatus = await waitFor(async () => {
      const s = await stale?.status('app');
      return s?.code === 'bundle_error' ? s : undefined;
    }, 20_000);
    assert.match(staleStatus.message ?? '', /verification key corresponding to ID key-b not found/);
    assert.equal(await stale.revision('app'), 'r1-a', 'the stale agent keeps its last good revision');

    // Step 3: A is removed, from the server and from the agent (a config change, hence a restart).
    watching = false;
    await watcher;
    await server.stop();
    server = await startPortcullis(served, ['--config', await serverConfig(b)]);
    await agent.stop();
    agent = new OpaAgent(join(dir));
    await agent.start(agentConfig(server.url, { app: { signing: { scope: SCOPE } } }, trusted(b)), 'agent-b.json');
    watching = true;
    watcher = watch();
    await agent.waitForRevision('app', 'r2-b');
    await publish('r3-b', b);
    await agent.waitForRevision('app', 'r3-b');

    // A bundle still signed with the retired key is now refused by the server, which keeps r3-b in service.
    await publish('r4-a', a);
    const state = await waitFor(async () => {
      const res = await fetch(`${server?.url}/v1/bundles`);
      const bundle = ((await res.json()) as { bundles: { name: string; revision?: string; lastError?: string }[] }).bundles.find((x) => x.name === 'app');
      return bundle?.lastError ? bundle : undefined;
    }, 10_000);
    assert.equal(state.revision, 'r3-b');
    assert.match(state.lastError ?? '', /verification key corresponding to ID key-a not found/);
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(await agent.revision('app'), 'r3-b');

    watching = false;
    await watcher;
    assert.ok(samples >= 10, `the watcher sampled ${samples} times`);
    assert.deepEqual(errors, [], 'the rotating agent never rejected a bundle');
    assert.deepEqual(unsigned, [], 'every bundle served during the rotation carried a valid signature');
  });
});
