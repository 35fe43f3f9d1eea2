import * as assert from 'node:assert/strict';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeTarGz } from '../../src/bundle/index.js';
import { loadConfig } from '../../src/config/index.js';
import { signBundle, signFiles } from '../../src/sign/index.js';
import { bundleBytes, bundleFiles, scratch, startPortcullis, testKey, text, waitFor, type Child, type TestKey } from './support.js';

interface State {
  readonly name: string;
  readonly revision?: string;
  readonly etag?: string;
  readonly lastError?: string;
}

// portcullis serve with `keys` verifies every bundle before it publishes it;
// a bundle that does not verify is refused, the last good revision stays in
// service, and the reason shows in the log and in /v1/bundles.
describe('serve: only bundles that verify are published', () => {
  let dir: string;
  let served: string;
  let rsa: TestKey;
  let hmac: TestKey;
  let other: TestKey;
  let server: Child & { url: string };
  const SECRET_ENV = 'PORTCULLIS_TEST_HMAC_SECRET';

  const put = async (name: string, bytes: Uint8Array) => {
    const temp = join(served, `.${name}.tmp`);
    await writeFile(temp, bytes);
    await rename(temp, join(served, `${name}.tar.gz`));
  };
  const states = async (): Promise<State[]> => ((await (await fetch(`${server.url}/v1/bundles`)).json()) as { bundles: State[] }).bundles;
  const state = async (name: string) => (await states()).find((s) => s.name === name);

  before(async () => {
    dir = await scratch();
    served = join(dir, 'served');
    await mkdir(served);
    rsa = await testKey(dir, 'RS256', 'rsa-1');
    hmac = await testKey(dir, 'HS256', 'hmac-1');
    // Same key id, different key: an attacker guessing the id gains nothing.
    await mkdir(join(dir, 'attacker'));
    other = await testKey(join(dir, 'attacker'), 'RS256', 'rsa-1');
    await put('app', await signBundle(bundleBytes('app', 'v1'), rsa.sign({ scope: 'prod' })));
    await put('mac', await signBundle(bundleBytes('mac', 'v1'), hmac.sign({ scope: 'prod' })));
    const config = join(dir, 'config.yaml');
    await writeFile(
      config,
      [
        'keys:',
        `  rsa-1: { algorithm: RS256, key: ${JSON.stringify(rsa.verifyPath)} }`,
        `  hmac-1: { algorithm: HS256, secret_env: ${SECRET_ENV} }`,
        'bundles:',
        '  rescan_interval_ms: 200',
        '  signing: { required: true, scope: prod }',
        '',
      ].join('\n'),
    );
    server = await startPortcullisWithEnv(served, config, { [SECRET_ENV]: hmac.opaKey });
  });

  after(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('publishes bundles signed with any configured key (RSA file, HMAC secret from the environment)', async () => {
    assert.equal((await state('app'))?.revision, 'v1');
    assert.equal((await state('mac'))?.revision, 'v1');
    assert.match(server.output(), /bundle signatures are verified before publishing/);
  });

  const refusals: [string, () => Promise<Uint8Array>, RegExp][] = [
    [
      'tampered after signing',
      async () =>
        writeTarGz(
          (await signFiles(bundleFiles('app', 'v2'), rsa.sign({ scope: 'prod' }))).map((f) =>
            f.path.endsWith('.rego') ? text(f.path, 'package app\n\nallow := true\n') : f,
          ),
        ),
      /app\/policy\.rego: digest mismatch/,
    ],
    ['unsigned', async () => bundleBytes('app', 'v2'), /bundle missing \.signatures\.json file/],
    [
      'signed by an untrusted key with a trusted kid',
      async () => signBundle(bundleBytes('app', 'v2'), other.sign({ scope: 'prod' })),
      /failed to verify JWT signature/,
    ],
    ['signed for another scope', async () => signBundle(bundleBytes('app', 'v2'), rsa.sign({ scope: 'dev' })), /scope mismatch/],
  ];
  for (const [what, forge, reason] of refusals) {
    it(`refuses a bundle ${what}, keeps serving v1 and reports why`, async () => {
      const before = await state('app');
      await put('app', await forge());
      const after = await waitFor(
        async () => {
          const s = await state('app');
          return s?.lastError && reason.test(s.lastError) ? s : undefined;
        },
        10_000,
        () => server.output(),
      );
      assert.equal(after.revision, 'v1');
      assert.equal(after.etag, before?.etag);
      const res = await fetch(`${server.url}/bundles/app`);
      assert.equal(res.headers.get('etag'), before?.etag);
      // The log carries the error object (message, stack, code), not only its message.
      assert.match(server.output(), new RegExp(`"bundle":"app".*"err":\\{"type":"AppError","message":"[^"]*${reason.source.replace(/\\\\/g, '\\\\')}`));
    });
  }

  it('publishes the next good bundle and clears the error', async () => {
    await put('app', await signBundle(bundleBytes('app', 'v3'), rsa.sign({ scope: 'prod' })));
    const s = await waitFor(async () => {
      const x = await state('app');
      return x?.revision === 'v3' ? x : undefined;
    }, 10_000);
    assert.equal(s.lastError, undefined);
  });

  it('never writes the HMAC secret or key material to its log', () => {
    const log = server.output();
    assert.ok(!log.includes(hmac.opaKey), 'HMAC secret in the log');
    assert.ok(!log.includes('PRIVATE KEY'), 'private key in the log');
  });
});

describe('serve configuration for signing', () => {
  it('refuses a signing.keyid that names no configured key, and required signing without keys', async () => {
    const dir = await scratch();
    try {
      const a = join(dir, 'a.yaml');
      await writeFile(a, 'keys:\n  k1: { algorithm: ES256, key: k1.pem }\nbundles:\n  signing: { keyid: k2 }\n');
      await assert.rejects(() => loadConfig(a), /bundles\.signing\.keyid 'k2' is not one of the configured keys/);
      const b = join(dir, 'b.yaml');
      await writeFile(b, 'bundles:\n  signing: { required: true }\n');
      await assert.rejects(() => loadConfig(b), /needs at least one entry in keys/);
      const c = join(dir, 'c.yaml');
      await writeFile(c, 'keys:\n  k1: { algorithm: none, key: k1.pem }\n');
      await assert.rejects(() => loadConfig(c), /CONFIG|invalid/i);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('resolves key paths against the config file and requires signatures once keys exist', async () => {
    const dir = await scratch();
    try {
      const file = join(dir, 'c.yaml');
      await writeFile(file, 'keys:\n  k1: { algorithm: ES256, key: keys/k1.pem, scope: s }\n');
      const config = await loadConfig(file);
      assert.deepEqual(config.keys.get('k1'), { algorithm: 'ES256', source: { file: join(dir, 'keys/k1.pem') }, scope: 's' });
      assert.equal(config.signing.required, true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

async function startPortcullisWithEnv(dir: string, config: string, env: NodeJS.ProcessEnv): Promise<Child & { url: string }> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    return await startPortcullis(dir, ['--config', config]);
  } finally {
    for (const key of Object.keys(env)) if (saved[key] === undefined) delete process.env[key];
  }
}
