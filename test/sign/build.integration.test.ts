import * as assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { readTarGz } from '../../src/bundle/index.js';
import { buildBundles, compilerIdentity, OpaCompiler, type BuildOptions } from '../../src/compile/index.js';
import { loadVerificationKey, prepareDefinitionSigning, verifyBundle, type SigningAlgorithm } from '../../src/sign/index.js';
import { toolchain } from '../helpers/opa.js';
import { opaRunBundle, scratch, testKey, type TestKey } from './support.js';

const POLICY = 'package app\n\nallow if input.n < data.app.limit\n';

// Build-time signing: the `signing` block of a bundle definition signs the
// assembled bundle, so the signature covers exactly the bytes written.
describe('portcullis build signs bundles that have a signing block', () => {
  let project: string;
  let es: TestKey;
  let mac: TestKey;
  const env = { APP_HMAC: '' };

  const options = (): BuildOptions => ({
    definitionsDir: join(project, 'bundles'),
    outDir: join(project, 'out'),
    cacheDir: join(project, 'cache'),
    compilerId: compilerIdentity(),
    compiler: () => new OpaCompiler(toolchain()),
    signer: prepareDefinitionSigning,
    env,
  });
  const define = (signing: string) =>
    writeFile(
      join(project, 'bundles', 'app.yaml'),
      [
        'name: app',
        'roots: [app]',
        'policies: [../policies/*.rego]',
        'data:',
        '  - file: ../data/limit.yaml',
        '    path: app',
        'entrypoints: [app/allow]',
        signing,
        '',
      ].join('\n'),
    );
  const verify = async (alg: SigningAlgorithm, key: TestKey, scope?: string) =>
    verifyBundle(await readFile(join(project, 'out', 'app.tar.gz')), {
      keys: new Map([[key.keyId, { algorithm: alg, key: loadVerificationKey(new TextEncoder().encode(key.opaKey), alg, key.keyId) }]]),
      ...(scope === undefined ? {} : { scope }),
    });

  before(async () => {
    project = await scratch('portcullis-build-sign-');
    await mkdir(join(project, 'bundles', 'keys'), { recursive: true });
    await mkdir(join(project, 'policies'));
    await writeFile(join(project, 'policies', 'app.rego'), POLICY);
    await mkdir(join(project, 'data'));
    await writeFile(join(project, 'data', 'limit.yaml'), 'limit: 3\n');
    es = await testKey(join(project, 'bundles', 'keys'), 'ES256', 'build-es');
    mac = await testKey(join(project, 'bundles', 'keys'), 'HS256', 'build-mac');
    env.APP_HMAC = mac.opaKey;
  });
  after(() => rm(project, { recursive: true, force: true }));

  it('signs with the configured key, key id and scope; OPA accepts the bundle', async () => {
    await define('signing: { algorithm: ES256, key: keys/build-es.key.pem, keyid: build-es, scope: prod }');
    const [result] = await buildBundles(options());
    assert.ok(result?.written);
    const verified = await verify('ES256', es, 'prod');
    assert.deepEqual([verified.signed, verified.keyId], [true, 'build-es']);
    const files = readTarGz(await readFile(result.path)).map((f) => f.path);
    assert.deepEqual(files, ['/.manifest', '/.signatures.json', '/data.json', '/policies/app.rego', '/policy.wasm']);
    const opa = await opaRunBundle(result.path, es, ['--verification-key-id', 'build-es', '--scope', 'prod']);
    assert.equal(opa.code, 0, opa.stdout + opa.stderr);
  });

  it('reuses the cached signed bundle when nothing changed, and re-signs when the signing config changes', async () => {
    const [same] = await buildBundles(options());
    assert.deepEqual([same?.cached, same?.written], [true, false]);
    await define('signing: { algorithm: ES256, key: keys/build-es.key.pem, keyid: build-es, scope: staging }');
    const [rescoped] = await buildBundles(options());
    assert.deepEqual([rescoped?.cached, rescoped?.written], [false, true]);
    assert.equal(rescoped?.revision, same?.revision, 'signing does not change the content revision');
    assert.equal((await verify('ES256', es, 'staging')).keyId, 'build-es');
  });

  it('signs with an HMAC secret from the environment; the cache key holds no secret', async () => {
    await define('signing: { algorithm: HS256, secret_env: APP_HMAC, keyid: build-mac }');
    const [result] = await buildBundles(options());
    assert.equal((await verify('HS256', mac)).keyId, 'build-mac');
    for (const name of await readdir(join(project, 'cache'))) assert.ok(!name.includes(mac.opaKey));
    const tar = gunzipSync(await readFile(result?.path as string)).toString('latin1');
    assert.ok(!tar.includes(mac.opaKey), 'secret in the bundle');
  });

  it('never puts the key path or key material into the bundle, the results or the errors', async () => {
    await define('signing: { algorithm: ES256, key: keys/build-es.key.pem, keyid: build-es }');
    const [result] = await buildBundles(options());
    const tar = gunzipSync(await readFile(result?.path as string)).toString('latin1');
    assert.ok(!tar.includes('build-es.key.pem'), 'key path in the bundle');
    assert.ok(!JSON.stringify(result).includes('key.pem'), 'key path in the build result');
    await define('signing: { algorithm: RS256, key: keys/build-es.key.pem }');
    await assert.rejects(
      () => buildBundles(options()),
      (err: Error) => {
        assert.match(err.message, /app\.yaml: signing key: RS256 needs an RSA key/);
        assert.ok(!err.message.includes('build-es.key.pem'));
        return true;
      },
    );
    await define('signing: { algorithm: HS256, secret_env: APP_HMAC_UNSET }');
    await assert.rejects(() => buildBundles(options()), /signing key: the variable is not set or empty/);
  });

  it('refuses a signing block without a key source', async () => {
    await define('signing: { algorithm: ES256, keyid: x }');
    await assert.rejects(
      () => buildBundles(options()),
      (err: { code?: string }) => err.code === 'DEFINITION_INVALID',
    );
  });
});
