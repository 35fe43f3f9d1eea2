import * as assert from 'node:assert/strict';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { bundleBytes, portcullis, run, scratch, testKey, type TestKey } from './support.js';

describe('portcullis keys generate', () => {
  let dir: string;
  before(async () => {
    dir = await scratch();
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('writes the private key 0600 and the public key 0644, and prints paths, never key material', async () => {
    const out = join(dir, 'keys');
    const res = await portcullis(['keys', 'generate', '--alg', 'ES384', '--out', out, '--kid', 'edge-2026']);
    assert.equal(res.code, 0, res.stderr);
    assert.equal((await stat(join(out, 'edge-2026.key.pem'))).mode & 0o777, 0o600);
    assert.equal((await stat(join(out, 'edge-2026.pub.pem'))).mode & 0o777, 0o644);
    assert.match(res.stdout, /key id:\s+edge-2026/);
    assert.doesNotMatch(res.stdout + res.stderr, /BEGIN|PRIVATE/);
  });

  it('writes an HMAC secret 0600 and prints its path only', async () => {
    const out = join(dir, 'hmac');
    const res = await portcullis(['keys', 'generate', '--alg', 'HS256', '--out', out, '--kid', 'mac']);
    assert.equal(res.code, 0, res.stderr);
    assert.equal((await stat(join(out, 'mac.secret'))).mode & 0o777, 0o600);
    const secret = await readFile(join(out, 'mac.secret'), 'utf8');
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
    assert.ok(!(res.stdout + res.stderr).includes(secret));
  });

  it('refuses to overwrite a key (exit 2) and refuses unknown algorithms (exit 2)', async () => {
    const again = await portcullis(['keys', 'generate', '--alg', 'ES384', '--out', join(dir, 'keys'), '--kid', 'edge-2026']);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already exists; refusing to overwrite a key/);
    const none = await portcullis(['keys', 'generate', '--alg', 'none', '--out', join(dir, 'x')]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /'none' is not supported/);
  });
});

describe('portcullis sign and verify', () => {
  let dir: string;
  let rsa: TestKey;
  let hmac: TestKey;
  let bundle: string;

  before(async () => {
    dir = await scratch();
    rsa = await testKey(dir, 'PS256', 'ps');
    hmac = await testKey(dir, 'HS256', 'mac');
    bundle = join(dir, 'app.tar.gz');
    await writeFile(bundle, bundleBytes('app', 'r1'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('signs in place and verifies: exit 0', async () => {
    const signed = await portcullis(['sign', bundle, '--alg', 'PS256', '--key', rsa.privatePath, '--kid', 'ps', '--scope', 'prod']);
    assert.equal(signed.code, 0, signed.stderr);
    const ok = await portcullis(['verify', bundle, '--alg', 'PS256', '--key', rsa.verifyPath, '--kid', 'ps', '--scope', 'prod']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /signature valid \(key ps, 3 files\)/);
  });

  it('verifies with a CERTIFICATE holding the public key', async () => {
    const cert = join(dir, 'ps.crt');
    const made = await run('openssl', ['req', '-x509', '-new', '-key', rsa.privatePath, '-subj', '/CN=portcullis-test', '-days', '1', '-out', cert]);
    assert.equal(made.code, 0, made.stderr);
    const ok = await portcullis(['verify', bundle, '--alg', 'PS256', '--key', cert, '--kid', 'ps', '--scope', 'prod']);
    assert.equal(ok.code, 0, ok.stderr);
  });

  it('exit 1 with the reason when the bundle does not verify', async () => {
    const wrongScope = await portcullis(['verify', bundle, '--alg', 'PS256', '--key', rsa.verifyPath, '--kid', 'ps', '--scope', 'dev']);
    assert.equal(wrongScope.code, 1);
    assert.equal(wrongScope.stderr, 'portcullis: scope mismatch\n');
    const wrongKid = await portcullis(['verify', bundle, '--alg', 'PS256', '--key', rsa.verifyPath, '--kid', 'other', '--scope', 'prod']);
    assert.equal(wrongKid.code, 1);
    assert.match(wrongKid.stderr, /verification key corresponding to ID ps not found/);
    const unsigned = join(dir, 'unsigned.tar.gz');
    await writeFile(unsigned, bundleBytes('app', 'r1'));
    const missing = await portcullis(['verify', unsigned, '--alg', 'PS256', '--key', rsa.verifyPath]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /bundle missing \.signatures\.json file/);
    const garbage = join(dir, 'garbage.tar.gz');
    await writeFile(garbage, 'not a bundle');
    const bad = await portcullis(['verify', garbage, '--alg', 'PS256', '--key', rsa.verifyPath]);
    assert.equal(bad.code, 1);
  });

  it('exit 2 on usage errors: unknown algorithm, missing key, key file for HMAC, two key sources', async () => {
    const cases: string[][] = [
      ['verify', bundle, '--alg', 'XX256', '--key', rsa.verifyPath],
      ['verify', bundle, '--alg', 'PS256'],
      ['verify', bundle, '--key', rsa.verifyPath],
      ['verify', join(dir, 'absent.tar.gz'), '--alg', 'PS256', '--key', rsa.verifyPath],
      ['verify', bundle, '--alg', 'PS256', '--key', join(dir, 'absent.pem')],
      ['sign', bundle, '--alg', 'HS256', '--key', hmac.privatePath],
      ['sign', bundle, '--alg', 'HS256', '--secret-file', hmac.privatePath, '--secret-env', 'X'],
      ['sign', bundle, '--alg', 'ES256', '--key', rsa.privatePath],
      ['sign', bundle, '--alg', 'HS256', '--secret-env', 'PORTCULLIS_TEST_UNSET_VARIABLE'],
    ];
    for (const args of cases) {
      const res = await portcullis(args);
      assert.equal(res.code, 2, `${args.join(' ')}\n${res.stderr}`);
    }
  });

  it('signs with an HMAC secret from a file or the environment, never from the command line', async () => {
    const out = join(dir, 'mac.tar.gz');
    const byEnv = await portcullis(['sign', bundle, '--alg', 'HS256', '--secret-env', 'MAC_SECRET', '--kid', 'mac', '-o', out], { MAC_SECRET: hmac.opaKey });
    assert.equal(byEnv.code, 0, byEnv.stderr);
    const byFile = await portcullis(['verify', out, '--alg', 'HS256', '--secret-file', hmac.privatePath, '--kid', 'mac']);
    assert.equal(byFile.code, 0, byFile.stderr);
    const help = await portcullis(['sign', '--help']);
    assert.doesNotMatch(help.stdout, /--secret[ <]/, 'no flag takes the secret itself');
  });
});

// Keys and secrets never appear in logs, errors, bundles or --help output.
describe('secrets stay secret', () => {
  let dir: string;
  let rsa: TestKey;
  let hmac: TestKey;
  const privateBody = (k: TestKey) =>
    Buffer.from(k.privateMaterial)
      .toString()
      .split('\n')
      .filter((l) => l && !l.startsWith('-----'));

  before(async () => {
    dir = await scratch();
    rsa = await testKey(dir, 'RS256', 'rs');
    hmac = await testKey(dir, 'HS512', 'mac');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const assertClean = (where: string, text: string) => {
    assert.ok(!text.includes(hmac.opaKey), `${where} contains the HMAC secret`);
    for (const line of privateBody(rsa)) assert.ok(!text.includes(line), `${where} contains private key material`);
  };

  it('not in signed bundles (every byte of the decompressed archive)', async () => {
    const bundle = join(dir, 'a.tar.gz');
    await writeFile(bundle, bundleBytes('a', 'r1'));
    const out = [join(dir, 'rs.tar.gz'), join(dir, 'mac.tar.gz')];
    assert.equal((await portcullis(['sign', bundle, '--alg', 'RS256', '--key', rsa.privatePath, '-o', out[0] as string])).code, 0);
    assert.equal((await portcullis(['sign', bundle, '--alg', 'HS512', '--secret-env', 'S', '-o', out[1] as string], { S: hmac.opaKey })).code, 0);
    for (const file of out) {
      const tar = gunzipSync(await readFile(file)).toString('latin1');
      assertClean(file, tar);
      assert.ok(!tar.includes(rsa.privatePath) && !tar.includes(hmac.privatePath), 'key path in the bundle');
    }
  });

  it('not in error messages, even when the key file holds the wrong kind of key', async () => {
    const bundle = join(dir, 'b.tar.gz');
    await writeFile(bundle, bundleBytes('b', 'r1'));
    const attempts = [
      await portcullis(['sign', bundle, '--alg', 'RS256', '--key', hmac.privatePath]),
      await portcullis(['sign', bundle, '--alg', 'ES256', '--key', rsa.privatePath]),
      await portcullis(['verify', bundle, '--alg', 'RS256', '--key', rsa.privatePath]),
      await portcullis(['verify', bundle, '--alg', 'HS512', '--secret-env', 'S'], { S: hmac.opaKey }),
      await portcullis(['sign', join(dir, 'absent.tar.gz'), '--alg', 'HS512', '--secret-env', 'S'], { S: hmac.opaKey }),
    ];
    for (const res of attempts) {
      assert.notEqual(res.code, 0);
      assertClean('error output', res.stdout + res.stderr);
    }
  });

  it('not in --help output', async () => {
    for (const args of [['--help'], ['sign', '--help'], ['verify', '--help'], ['keys', 'generate', '--help'], ['serve', '--help'], ['build', '--help']]) {
      const res = await portcullis(args, { S: hmac.opaKey, PORTCULLIS_SECRET: hmac.opaKey });
      assert.equal(res.code, 0, args.join(' '));
      assertClean(`${args.join(' ')} output`, res.stdout + res.stderr);
    }
  });

  it('not in generated key folders other than the key files themselves', async () => {
    const out = join(dir, 'gen');
    const res = await portcullis(['keys', 'generate', '--alg', 'RS256', '--out', out]);
    assert.equal(res.code, 0);
    const names = await readdir(out);
    assert.equal(names.length, 2);
    const pub = await readFile(join(out, names.find((n) => n.endsWith('.pub.pem')) as string), 'utf8');
    assert.doesNotMatch(pub, /PRIVATE/);
  });
});
