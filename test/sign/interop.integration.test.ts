import * as assert from 'node:assert/strict';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readTarGz, writeTarGz, type BundleFile } from '../../src/bundle/index.js';
import { decodePayload, fileDigest, type SigningAlgorithm } from '../../src/sign/index.js';
import { toolchain } from '../helpers/opa.js';
import {
  agentConfig,
  bundleFiles,
  OpaAgent,
  opaRunBundle,
  portcullis,
  run,
  scratch,
  startPortcullis,
  testKey,
  text,
  type Child,
  type TestKey,
} from './support.js';

const ALGORITHMS: readonly SigningAlgorithm[] = ['RS256', 'PS256', 'ES256', 'ES384', 'HS256'];

/** data.json as a person would write it: pretty, unsorted, with every canonicalisation trap OPA's hash must survive. */
const AWKWARD_DATA = `{
  "zeta": "last",
  "alpha": {"b": 2, "a": 1, "é": "accent", "ä": "umlaut", "Z": "upper"},
  "text": "caf\\u00e9 \u00fcber \u65e5\u672c \u{1F600} line\\u2028sep para\\u2029sep raw\u2028sep",
  "controls": "tab\\tnl\\ncr\\rbell\\u0007nul\\u0000esc\\u001b del\u007f",
  "html": "<a href=\\"x\\">&amp;</a>",
  "big": 123456789012345678901234567890,
  "neg": -0,
  "fraction": 0.1000,
  "exp": 1E+21,
  "small": 1.5e-7,
  "list": [3, 1.0, 2e0, "b", "a", null, true, false, {}, []]
}
`;

const rootOf = (alg: SigningAlgorithm) => alg.toLowerCase();

// (a) bundles signed by `portcullis sign` are activated by real OPA agents
// polling `portcullis serve` (itself configured with the same keys), and by
// `opa run --bundle --verification-key`.
describe('interop: OPA activates bundles signed by portcullis', () => {
  let dir: string;
  let served: string;
  const keys = new Map<SigningAlgorithm, TestKey>();
  let server: Child & { url: string };
  let agent: OpaAgent;

  before(async () => {
    dir = await scratch();
    served = join(dir, 'served');
    await mkdir(served);
    const serverKeys: Record<string, unknown> = {};
    for (const alg of ALGORITHMS) {
      const key = await testKey(dir, alg, `k-${rootOf(alg)}`);
      keys.set(alg, key);
      const unsigned = join(dir, `${rootOf(alg)}.unsigned.tar.gz`);
      const extra = alg === 'RS256' ? [text('/rs256/awkward/data.json', AWKWARD_DATA)] : [];
      await writeFile(unsigned, writeTarGz(bundleFiles(rootOf(alg), `${rootOf(alg)}-1`, extra)));
      const keyArgs = alg === 'HS256' ? ['--secret-env', 'TEST_HMAC_SECRET'] : ['--key', key.privatePath];
      const signed = await portcullis(
        ['sign', unsigned, '--alg', alg, ...keyArgs, '--kid', key.keyId, '--scope', `scope-${rootOf(alg)}`, '-o', join(served, `${rootOf(alg)}.tar.gz`)],
        { TEST_HMAC_SECRET: key.opaKey },
      );
      assert.equal(signed.code, 0, signed.stderr);
      serverKeys[key.keyId] = {
        algorithm: alg,
        ...(alg === 'HS256' ? { secret_file: key.privatePath } : { key: key.verifyPath }),
        scope: `scope-${rootOf(alg)}`,
      };
    }
    const config = join(dir, 'portcullis.yaml');
    await writeFile(config, JSON.stringify({ keys: serverKeys, bundles: { signing: { required: true } } }));
    server = await startPortcullis(served, ['--config', config]);
    agent = new OpaAgent(dir);
    await agent.start(
      agentConfig(
        server.url,
        Object.fromEntries(ALGORITHMS.map((alg) => [rootOf(alg), { signing: { keyid: `k-${rootOf(alg)}`, scope: `scope-${rootOf(alg)}` } }])),
        Object.fromEntries(ALGORITHMS.map((alg) => [`k-${rootOf(alg)}`, { key: (keys.get(alg) as TestKey).opaKey, algorithm: alg }])),
      ),
    );
  });

  after(async () => {
    await agent?.stop();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  for (const alg of ALGORITHMS) {
    it(`${alg}: portcullis serve publishes it and an OPA agent with keys + signing (keyid, scope) activates it`, async () => {
      const res = await fetch(`${server.url}/v1/bundles`);
      const state = ((await res.json()) as { bundles: { name: string; revision?: string; lastError?: string }[] }).bundles.find((b) => b.name === rootOf(alg));
      assert.equal(state?.revision, `${rootOf(alg)}-1`, JSON.stringify(state));
      await agent.waitForRevision(rootOf(alg), `${rootOf(alg)}-1`);
      const decision = await fetch(`${agent.url}/v1/data/${rootOf(alg)}/allow`, { method: 'POST', body: JSON.stringify({ input: { n: 1 } }) });
      assert.deepEqual(await decision.json(), { result: true });
      const status = await agent.status(rootOf(alg));
      assert.equal(status?.code, undefined, agent.lastStatus(rootOf(alg)));
    });

    it(`${alg}: opa run --bundle --verification-key accepts it, and refuses it for another scope`, async () => {
      const key = keys.get(alg) as TestKey;
      const file = join(served, `${rootOf(alg)}.tar.gz`);
      const ok = await opaRunBundle(file, key, ['--verification-key-id', key.keyId, '--scope', `scope-${rootOf(alg)}`]);
      assert.equal(ok.code, 0, ok.stderr);
      const wrong = await opaRunBundle(file, key, ['--verification-key-id', key.keyId, '--scope', 'other']);
      assert.equal(wrong.code, 1);
      assert.match(`${wrong.stdout}${wrong.stderr}`, /scope mismatch/);
    });
  }

  // (c) the awkward data.json rides in the RS256 bundle: OPA verified its
  // canonical digest above; here it also holds the exact values.
  it('(c) OPA accepts and loads a data.json with non-ASCII, U+2028, control characters, big and fractional numbers, unsorted keys', async () => {
    await agent.waitForRevision('rs256', 'rs256-1');
    const data = (await agent.get('/v1/data/rs256/awkward')) as Record<string, unknown>;
    assert.equal(data['text'], 'caf\u00e9 \u00fcber \u65e5\u672c \u{1F600} line\u2028sep para\u2029sep raw\u2028sep');
    assert.equal(data['controls'], 'tab\tnl\ncr\rbell\u0007nul\u0000esc\u001b del\u007f');
    assert.equal(data['html'], '<a href="x">&amp;</a>');
    assert.deepEqual(Object.keys(data['alpha'] as object).sort(), ['Z', 'a', 'b', 'ä', 'é']);
    const raw = await (await fetch(`${agent.url}/v1/data/rs256/awkward/big`)).text();
    assert.match(raw, /123456789012345678901234567890/);
  });
});

// (b) bundles signed by OPA's own tools pass `portcullis verify`, and the
// digests portcullis computes equal the ones `opa sign` wrote, file by file.
describe('interop: portcullis verifies bundles signed by opa build and opa sign', () => {
  let dir: string;
  let src: string;

  before(async () => {
    dir = await scratch();
    src = join(dir, 'src');
    await mkdir(join(src, 'x', 'awkward'), { recursive: true });
    await writeFile(join(src, '.manifest'), '{\n  "roots": ["x"],\n  "revision": "opa-1"\n}\n');
    await writeFile(join(src, 'x', 'policy.rego'), 'package x\n\nallow if input.n < 3\n');
    await writeFile(join(src, 'x', 'awkward', 'data.json'), AWKWARD_DATA);
    await writeFile(join(src, 'x', 'data.yaml'), 'b: 2\na: [1, two, 3.5]\n');
  });

  after(() => rm(dir, { recursive: true, force: true }));

  for (const alg of ['RS256', 'ES256', 'PS384', 'HS256'] as const) {
    it(`opa build --signing-key (${alg}) → portcullis verify exits 0, using the kid opa wrote`, async () => {
      const key = await testKey(dir, alg, `build-${alg.toLowerCase()}`);
      const out = join(dir, `opa-build-${alg}.tar.gz`);
      const build = await run(toolchain().opa, [
        'build',
        '-b',
        src,
        '--signing-key',
        key.privatePath,
        '--signing-alg',
        alg,
        '--verification-key-id',
        key.keyId,
        '-o',
        out,
      ]);
      assert.equal(build.code, 0, build.stderr);
      const keyArgs = alg === 'HS256' ? ['--secret-file', key.verifyPath] : ['--key', key.verifyPath];
      const verify = await portcullis(['verify', out, '--alg', alg, ...keyArgs, '--kid', key.keyId]);
      assert.equal(verify.code, 0, verify.stderr);
      assert.match(verify.stdout, new RegExp(`signature valid \\(key ${key.keyId}, \\d+ files\\)`));
    });
  }

  it('opa sign (ES384, scope claim) → portcullis verify exits 0, and each digest equals ours', async () => {
    const key = await testKey(dir, 'ES384', 'signer');
    const claims = join(dir, 'claims.json');
    await writeFile(claims, JSON.stringify({ scope: 'edge', iss: 'opa' }));
    // Run inside the folder: opa sign names files by the path it was given.
    const sign = await run(
      toolchain().opa,
      ['sign', '--bundle', '.', '--signing-key', key.privatePath, '--signing-alg', 'ES384', '--claims-file', claims, '-o', '.'],
      { cwd: src },
    );
    assert.equal(sign.code, 0, sign.stderr);
    const files = await filesOf(src);
    const bundle = join(dir, 'opa-sign.tar.gz');
    await writeFile(bundle, writeTarGz(files));

    // opa sign passes no key id, so like OPA we need the key pinned (no --kid).
    const verify = await portcullis(['verify', bundle, '--alg', 'ES384', '--key', key.verifyPath, '--scope', 'edge']);
    assert.equal(verify.code, 0, verify.stderr);
    const unnamed = await portcullis(['verify', bundle, '--alg', 'ES384', '--key', key.verifyPath, '--kid', 'signer', '--scope', 'edge']);
    assert.equal(unnamed.code, 1);
    assert.match(unnamed.stderr, /verification key ID is empty/);

    const token = (JSON.parse(await readFile(join(src, '.signatures.json'), 'utf8')) as { signatures: string[] }).signatures[0] as string;
    const payload = decodePayload(Buffer.from(token.split('.')[1] as string, 'base64url').toString());
    assert.deepEqual(payload.files.map((f) => f.name).sort(), ['.manifest', 'x/awkward/data.json', 'x/data.yaml', 'x/policy.rego']);
    for (const entry of payload.files) {
      const file = files.find((f) => f.path === `/${entry.name}`) as BundleFile;
      assert.equal(fileDigest(entry.name, file.bytes), entry.hash, entry.name);
    }
    // And OPA itself accepts the same archive.
    const opa = await opaRunBundle(bundle, key, ['--scope', 'edge']);
    assert.equal(opa.code, 0, opa.stderr);
  });
});

async function filesOf(root: string, prefix = ''): Promise<BundleFile[]> {
  const { readdir } = await import('node:fs/promises');
  const out: BundleFile[] = [];
  for (const entry of await readdir(join(root, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await filesOf(root, rel)));
    else out.push({ path: `/${rel}`, bytes: new Uint8Array(await readFile(join(root, rel))) });
  }
  return readTarGz(writeTarGz(out));
}
