import * as assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Header } from 'tar';
import { assembleBundle, readTarGz, writeTarGz, type BundleFile } from '../../src/bundle/index.js';
import { OpaCompiler } from '../../src/compile/index.js';
import { canonicalJson } from '../../src/core/index.js';
import { signaturePayload, signaturesFileBytes, signBundle, signFiles, signPayload } from '../../src/sign/index.js';
import { toolchain } from '../helpers/opa.js';
import { rawTarGz, type RawEntry } from '../helpers/tar.js';
import { agentConfig, bundleFiles, OpaAgent, opaRunBundle, portcullis, scratch, StaticBundleServer, testKey, text, waitFor, type TestKey } from './support.js';

// Every attack is judged three times, and must be refused each time:
//  1. `portcullis verify` (the CLI, exit 1 with the reason);
//  2. `opa run --bundle --verification-key ...` with stdin closed: OPA verifies
//     while loading, exits 1 when it refuses the bundle and 0 when it accepts;
//  3. a long-running `opa run --server` agent that already activated the good
//     revision and polls a plain static server (not portcullis, which would
//     refuse to publish these bundles) every second. After the forged bytes
//     are served we wait for OPA's own status to report `bundle_error` with the
//     expected reason for a request made after the swap, then assert that the
//     active revision is still the good one.
// The agent trusts k1 for two bundles: `u` names no keyid (the token's kid
// picks the key) and carries a Wasm module; `p` pins keyid k1. Both have a
// `signing` block, which in OPA 1.x makes a signature mandatory.

const SCOPE = 'prod';
const GOOD = { u: 'u-good', p: 'p-good' } as const;
type Target = keyof typeof GOOD;

interface Attack {
  readonly name: string;
  readonly target: Target;
  readonly forge: () => Promise<Uint8Array> | Uint8Array;
  /** portcullis verify's reason. */
  readonly ours: RegExp;
  /** OPA's reason, as its status reports it. */
  readonly opa: RegExp;
}

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

describe('tamper suite: forged bundles are refused by portcullis verify and by real OPA', () => {
  let dir: string;
  let k1: TestKey;
  let attacker: TestKey;
  let good: Record<Target, BundleFile[]>;
  const server = new StaticBundleServer();
  let agent: OpaAgent;

  const signed = (target: Target) => good[target].map((f) => ({ ...f }));
  const content = (target: Target) => signed(target).filter((f) => f.path !== '/.signatures.json');
  const sigFile = (target: Target) => signed(target).find((f) => f.path === '/.signatures.json') as BundleFile;
  const replace = (files: BundleFile[], path: string, body: string) => files.map((f) => (f.path === path ? text(path, body) : f));
  const raw = (files: readonly BundleFile[], extra: readonly RawEntry[] = []): Uint8Array =>
    rawTarGz([...files.map((f) => ({ path: f.path, body: f.bytes })), ...extra]);
  const evilRego = 'package u\n\nallow if true\n';
  /** A correct payload for `files`, as an attacker who can hash but not sign would write it. */
  const payloadFor = (files: readonly BundleFile[], keyid?: string) => signaturePayload(files, { scope: SCOPE, ...(keyid ? { keyId: keyid } : {}) });
  const withToken = (files: readonly BundleFile[], token: string) => writeTarGz([...files, { path: '/.signatures.json', bytes: signaturesFileBytes(token) }]);

  const attacks: Attack[] = [
    {
      name: 'a changed byte in a .rego file',
      target: 'u',
      forge: () => writeTarGz(replace(signed('u'), '/u/policy.rego', evilRego)),
      ours: /^portcullis: u\/policy\.rego: digest mismatch \(want: [0-9a-f]{64}, got: [0-9a-f]{64}\)$/m,
      opa: /u\/policy\.rego: digest mismatch/,
    },
    {
      name: 'a changed byte in data.json',
      target: 'u',
      forge: () => writeTarGz(replace(signed('u'), '/data.json', canonicalJson({ u: { limit: 4, revision: GOOD.u } }))),
      ours: /^portcullis: data\.json: digest mismatch/m,
      opa: /^data\.json: digest mismatch/,
    },
    {
      name: 'a changed byte in .manifest',
      target: 'u',
      forge: () => {
        const files = signed('u');
        const manifest = Buffer.from((files.find((f) => f.path === '/.manifest') as BundleFile).bytes)
          .toString()
          .replace(GOOD.u, 'u-gooe');
        return writeTarGz(replace(files, '/.manifest', manifest));
      },
      ours: /\.manifest: digest mismatch/,
      opa: /\.manifest: digest mismatch/,
    },
    {
      name: 'a changed byte in policy.wasm',
      target: 'u',
      forge: () =>
        writeTarGz(
          signed('u').map((f) => {
            if (f.path !== '/policy.wasm') return f;
            const bytes = new Uint8Array(f.bytes);
            bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0x01;
            return { path: f.path, bytes };
          }),
        ),
      ours: /policy\.wasm: digest mismatch/,
      opa: /policy\.wasm: digest mismatch/,
    },
    {
      name: 'an added file',
      target: 'u',
      forge: () => writeTarGz([...signed('u'), text('/u/extra.rego', 'package u\n\ndeny if true\n')]),
      ours: /file u\/extra\.rego not included in bundle signature/,
      opa: /file u\/extra\.rego not included in bundle signature/,
    },
    {
      name: 'a removed file',
      target: 'u',
      forge: () => writeTarGz(signed('u').filter((f) => f.path !== '/data.json')),
      ours: /file\(s\) \[data\.json\] specified in bundle signatures but not found in the target bundle/,
      opa: /file\(s\) \[data\.json\] specified in bundle signatures but not found in the target bundle/,
    },
    {
      name: 'a renamed file',
      target: 'u',
      forge: () => writeTarGz(signed('u').map((f) => (f.path === '/u/policy.rego' ? { path: '/u/renamed.rego', bytes: f.bytes } : f))),
      ours: /file u\/renamed\.rego not included in bundle signature/,
      opa: /file u\/renamed\.rego not included in bundle signature/,
    },
    {
      name: 'a second JWT in .signatures.json',
      target: 'u',
      forge: async () => {
        const token = JSON.parse(Buffer.from(sigFile('u').bytes).toString()).signatures[0] as string;
        const files = replace(content('u'), '/u/policy.rego', evilRego);
        const second = await signPayload(payloadFor(files, 'attacker'), attacker.sign());
        return writeTarGz([...files, text('/.signatures.json', JSON.stringify({ signatures: [token, second] }))]);
      },
      ours: /\.signatures\.json: multiple JWTs not supported/,
      opa: /multiple JWTs not supported/,
    },
    {
      name: 'a JWT signed with another key (claiming kid k1)',
      target: 'u',
      forge: async () => {
        const files = replace(content('u'), '/u/policy.rego', evilRego);
        return withToken(files, await signPayload(payloadFor(files, 'k1'), attacker.sign({ keyId: 'k1' })));
      },
      ours: /failed to verify JWT signature/,
      opa: /failed to verify JWT signature/,
    },
    {
      name: 'a wrong scope (a genuine signature for another scope)',
      target: 'u',
      forge: async () => writeTarGz(await signFiles(content('u'), k1.sign({ scope: 'staging' }))),
      ours: /^portcullis: scope mismatch$/m,
      opa: /scope mismatch/,
    },
    {
      name: 'a wrong key id (a key the agent does not trust)',
      target: 'u',
      forge: async () => writeTarGz(await signFiles(replace(content('u'), '/u/policy.rego', evilRego), attacker.sign({ scope: SCOPE }))),
      ours: /verification key corresponding to ID attacker not found/,
      opa: /verification key corresponding to ID attacker not found/,
    },
    {
      name: 'a missing key id (no kid header, no keyid claim)',
      target: 'u',
      forge: async () => {
        const files = replace(content('u'), '/u/policy.rego', evilRego);
        const { keyId: _omit, ...noKid } = attacker.sign({ scope: SCOPE });
        return withToken(files, await signPayload(payloadFor(files), noKid));
      },
      ours: /verification key ID is empty/,
      opa: /verification key ID is empty/,
    },
    {
      name: 'alg: none (an unsigned token)',
      target: 'u',
      forge: () => {
        const files = replace(content('u'), '/u/policy.rego', evilRego);
        return withToken(files, `${b64({ alg: 'none', kid: 'k1' })}.${b64(payloadFor(files, 'k1'))}.`);
      },
      ours: /failed to verify JWT signature/,
      opa: /failed to verify JWT signature/,
    },
    {
      name: 'HS256 keyed with the RSA public key (algorithm confusion)',
      target: 'u',
      forge: () => {
        const files = replace(content('u'), '/u/policy.rego', evilRego);
        const signingInput = `${b64({ alg: 'HS256', kid: 'k1' })}.${b64(payloadFor(files, 'k1'))}`;
        const mac = createHmac('sha256', k1.opaKey).update(signingInput).digest('base64url');
        return withToken(files, `${signingInput}.${mac}`);
      },
      ours: /failed to verify JWT signature/,
      opa: /failed to verify JWT signature/,
    },
    {
      name: 'an unsigned bundle where a key id is required',
      target: 'p',
      forge: () => writeTarGz(content('p')),
      ours: /bundle missing \.signatures\.json file/,
      opa: /bundle missing \.signatures\.json file/,
    },
    {
      name: 'a signatures file emptied to {} (OPA reads it as unsigned)',
      target: 'p',
      forge: () => writeTarGz([...content('p'), text('/.signatures.json', '{}')]),
      ours: /bundle missing \.signatures\.json file/,
      opa: /bundle missing \.signatures\.json file/,
    },
    {
      name: 'a second signatures file deeper in the tree',
      target: 'u',
      forge: () => writeTarGz([...signed('u'), text('/u/.signatures.json', '{"signatures":[]}')]),
      ours: /bundle contains multiple signatures files/,
      opa: /bundle contains multiple signatures files/,
    },
    {
      name: 'duplicate tar entries (a forged copy after the signed one)',
      target: 'u',
      forge: () => raw(signed('u'), [{ path: '/u/policy.rego', body: evilRego }]),
      ours: /entry '\/u\/policy\.rego' appears more than once/,
      opa: /file u\/policy\.rego not included in bundle signature/,
    },
    {
      name: 'a name with ..',
      target: 'u',
      forge: () => raw(signed('u'), [{ path: '/u/../evil.rego', body: evilRego }]),
      ours: /entry name "\/u\/\.\.\/evil\.rego" is not a plain relative path/,
      opa: /file u\/\.\.\/evil\.rego not included in bundle signature/,
    },
    {
      name: 'an absolute path standing in for a signed file',
      target: 'u',
      forge: () => raw(signed('u').map((f) => (f.path === '/u/policy.rego' ? { path: '//u/policy.rego', bytes: f.bytes } : f))),
      ours: /entry name "\/\/u\/policy\.rego" is not a plain relative path/,
      opa: /file \/u\/policy\.rego not included in bundle signature/,
    },
    {
      name: 'a symlink entry in place of a signed file',
      target: 'u',
      forge: () =>
        raw(
          signed('u').filter((f) => f.path !== '/data.json'),
          [{ path: '/data.json', type: 'SymbolicLink', linkpath: '/etc/passwd' }],
        ),
      ours: /entry "\/data\.json" is a SymbolicLink entry/,
      opa: /file\(s\) \[data\.json\] specified in bundle signatures but not found/,
    },
    {
      name: 'a hardlink entry in place of a signed file',
      target: 'u',
      forge: () =>
        raw(
          signed('u').filter((f) => f.path !== '/data.json'),
          [{ path: '/data.json', type: 'Link', linkpath: '/u/policy.rego' }],
        ),
      ours: /entry "\/data\.json" is a Link entry/,
      opa: /file\(s\) \[data\.json\] specified in bundle signatures but not found/,
    },
    {
      name: 'a truncated archive',
      target: 'u',
      forge: () => {
        const bytes = writeTarGz(signed('u'));
        return bytes.subarray(0, Math.floor(bytes.length / 2));
      },
      ours: /archive is not valid gzip|truncated/,
      opa: /unexpected EOF/,
    },
    {
      name: 'a gzip bomb (1.5 GiB of zeros in 1.5 MB)',
      target: 'u',
      forge: () => gzipBomb(signed('u'), '/u/bomb.json', 24),
      ours: /archive expands past \d+ bytes/,
      opa: /bomb\.json size \(1610612736 bytes\) exceed/,
    },
  ];

  before(async () => {
    dir = await scratch();
    k1 = await testKey(dir, 'RS256', 'k1');
    attacker = await testKey(dir, 'RS256', 'attacker');
    await mkdir(join(dir, 'u'));
    await writeFile(join(dir, 'u/policy.rego'), 'package u\n\nallow if input.n < data.u.limit\n');
    const compiled = await new OpaCompiler(toolchain()).compile({ cwd: dir, modules: ['u/policy.rego'], entrypoints: ['u/allow'], source: 'tamper' });
    const uFiles = assembleBundle({
      manifest: { revision: GOOD.u, roots: ['u'], rego_version: 1, wasm: compiled.resolvers },
      data: { u: { limit: 3, revision: GOOD.u } },
      modules: compiled.modules,
      wasm: compiled.wasm,
      maxFileBytes: 1 << 30,
    });
    good = {
      u: readTarGz(await signBundle(writeTarGz(uFiles), k1.sign({ scope: SCOPE }))),
      p: readTarGz(await signBundle(writeTarGz(bundleFiles('p', GOOD.p)), k1.sign({ scope: SCOPE }))),
    };
    await server.start();
    server.set('u', writeTarGz(good.u));
    server.set('p', writeTarGz(good.p));
    agent = new OpaAgent(dir);
    await agent.start(
      agentConfig(
        server.url,
        { u: { signing: { scope: SCOPE } }, p: { signing: { keyid: 'k1', scope: SCOPE } } },
        { k1: { key: k1.opaKey, algorithm: 'RS256' } },
      ),
    );
    await agent.waitForRevision('u', GOOD.u);
    await agent.waitForRevision('p', GOOD.p);
  });

  after(async () => {
    await agent?.stop();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('has at least 20 distinct attacks', () => {
    assert.ok(attacks.length >= 20, `${attacks.length} attacks`);
    assert.equal(new Set(attacks.map((a) => a.name)).size, attacks.length);
  });

  it('accepts the untouched bundles everywhere (control)', async () => {
    for (const target of ['u', 'p'] as const) {
      const file = join(dir, `good-${target}.tar.gz`);
      await writeFile(file, writeTarGz(good[target]));
      const ours = await portcullis(['verify', file, '--alg', 'RS256', '--key', k1.verifyPath, '--kid', 'k1', '--scope', SCOPE]);
      assert.equal(ours.code, 0, ours.stderr);
      const opa = await opaRunBundle(file, k1, ['--verification-key-id', 'k1', '--scope', SCOPE]);
      assert.equal(opa.code, 0, opa.stderr);
    }
    // And the agent decides with the Wasm module of the signed bundle.
    const res = await fetch(`${agent.url}/v1/data/u/allow`, { method: 'POST', body: JSON.stringify({ input: { n: 1 } }) });
    assert.deepEqual(await res.json(), { result: true });
  });

  for (const attack of attacks) {
    it(`refuses ${attack.name}`, async () => {
      const bytes = await attack.forge();
      const file = join(dir, `attack-${attacks.indexOf(attack)}.tar.gz`);
      await writeFile(file, bytes);

      const ours = await portcullis(['verify', file, '--alg', 'RS256', '--key', k1.verifyPath, '--kid', 'k1', '--scope', SCOPE]);
      assert.equal(ours.code, 1, `portcullis verify exit code\n${ours.stdout}${ours.stderr}`);
      assert.match(ours.stderr, attack.ours);

      const opa = await opaRunBundle(file, k1, ['--verification-key-id', 'k1', '--scope', SCOPE]);
      assert.equal(opa.code, 1, `opa run --bundle accepted it\n${opa.stdout}${opa.stderr}`);

      const swappedAt = new Date().toISOString();
      server.set(attack.target, bytes);
      const status = await waitFor(
        async () => {
          const s = await agent.status(attack.target);
          return s && s.code === 'bundle_error' && (s.last_request ?? '') > swappedAt && attack.opa.test(s.message ?? '') ? s : undefined;
        },
        20_000,
        () => agent.lastStatus(attack.target),
      );
      assert.equal(status.active_revision, GOOD[attack.target]);
      assert.equal(await agent.revision(attack.target), GOOD[attack.target]);
      // Put the good bundle back so that each attack starts from the same state.
      server.set(attack.target, writeTarGz(good[attack.target]));
    });
  }
});

/**
 * A bundle whose last entry declares `members` × 64 MiB of zeros. Gzip members
 * may be concatenated (both Go and zlib read them as one stream), so the bomb
 * costs one 64 MiB compression instead of 1.5 GiB.
 */
function gzipBomb(files: readonly BundleFile[], path: string, members: number): Uint8Array {
  const chunk = 64 * 1024 * 1024;
  const tar = gunzipSync(writeTarGz(files));
  const head = tar.subarray(0, tar.length - 1024);
  const header = Buffer.alloc(512);
  new Header({ path, type: 'File', size: chunk * members, mode: 0o644, mtime: new Date(0) }).encode(header, 0);
  const zeros = gzipSync(Buffer.alloc(chunk), { level: 9 });
  const parts = [gzipSync(Buffer.concat([head, header])), ...Array.from({ length: members }, () => zeros), gzipSync(Buffer.alloc(1024))];
  return new Uint8Array(Buffer.concat(parts));
}
