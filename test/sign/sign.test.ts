import * as assert from 'node:assert/strict';
import { createPrivateKey, generateKeyPairSync, type KeyPairKeyObjectResult } from 'node:crypto';
import { describe, it } from 'node:test';
import { writeTarGz, type BundleFile } from '../../src/bundle/index.js';
import { AppError, canonicalJson, parseJsonPreserving } from '../../src/core/index.js';
import {
  canonicalizeJsonText,
  fileDigest,
  generateKeyMaterial,
  goPathMatch,
  keyFamily,
  loadSigningKey,
  loadVerificationKey,
  SIGNING_ALGORITHMS,
  signaturePayload,
  signaturesFileBytes,
  signFiles,
  signPayload,
  verifyBundle,
  verifyFiles,
  type GeneratedKey,
  type SigningAlgorithm,
  type VerificationKey,
} from '../../src/sign/index.js';
import { bundleFiles, text } from './support.js';

const enc = new TextEncoder();

/** Asserts that `fn` rejects with an AppError of `code` whose message matches `message`. */
async function rejectsWith(fn: () => unknown, code: string, message: RegExp): Promise<void> {
  await assert.rejects(
    async () => fn(),
    (err: unknown) => {
      assert.ok(err instanceof AppError, String(err));
      assert.equal(err.code, code);
      assert.match(err.message, message);
      return true;
    },
  );
}

// An RSA key (3072 bits) takes about a second to generate: each algorithm's
// key is made once per file, and shared by the tests that check what
// generateKeyMaterial makes and those that sign with it.
const generatedKeys = new Map<SigningAlgorithm, GeneratedKey>();
function generated(alg: SigningAlgorithm): GeneratedKey {
  const key = generatedKeys.get(alg) ?? generateKeyMaterial(alg);
  generatedKeys.set(alg, key);
  return key;
}

let rsa2048: KeyPairKeyObjectResult | undefined;
/** An RSA pair of the 2048-bit minimum, made on first use. */
function rsaPair(): KeyPairKeyObjectResult {
  rsa2048 ??= generateKeyPairSync('rsa', { modulusLength: 2048 });
  return rsa2048;
}

function keyPair(alg: SigningAlgorithm, keyId = 'k') {
  // EC and HMAC keys are cheap: fresh ones, so that two key ids never share a key.
  const material = keyFamily(alg) === 'rsa' ? generated(alg) : generateKeyMaterial(alg, keyId);
  const signing = loadSigningKey(material.privateMaterial, alg, 'test key');
  const verification = loadVerificationKey(material.publicPem ? enc.encode(material.publicPem) : material.privateMaterial, alg, 'test key');
  const trusted: VerificationKey = { algorithm: alg, key: verification };
  return { sign: { algorithm: alg, key: signing, keyId }, trusted, keys: new Map([[keyId, trusted]]) };
}

describe('goPathMatch follows Go filepath.Match', () => {
  const cases: [string, string, boolean][] = [
    ['*.json', 'data.json', true],
    ['*.json', 'a/data.json', false],
    ['*/data.json', 'a/data.json', true],
    ['*/data.json', 'a/b/data.json', false],
    ['a/?/x', 'a/b/x', true],
    ['a/?/x', 'a//x', false],
    ['[a-c]*.rego', 'b.rego', true],
    ['[^a-c]*.rego', 'b.rego', false],
    ['[^a-c]*.rego', 'z.rego', true],
    ['\\*.rego', '*.rego', true],
    ['\\*.rego', 'a.rego', false],
    ['README.md', 'README.md', true],
    ['a-b.rego', 'a-b.rego', true],
    ['[]a].rego', ']a].rego', false],
    ['[z-a].rego', 'b.rego', false],
    ['x[', 'x[', false],
    ['*', '', true],
  ];
  for (const [pattern, name, want] of cases) {
    it(`${JSON.stringify(pattern)} ${want ? 'matches' : 'does not match'} ${JSON.stringify(name)}`, () => {
      assert.equal(goPathMatch(pattern, name), want);
    });
  }
});

describe('canonicalizeJsonText equals core canonicalJson(parseJsonPreserving(...))', () => {
  const inputs = [
    '{"b":1,"a":2}',
    '{"10":1,"2":2,"1":3,"a":4}',
    '{"\u{1F600}":1,"\uffff":2,"\ue000":3,"z":4}',
    '{"x":"line\u2028sep","y":"para\u2029sep"}',
    '{"lone":"\ud800x","bad":"\udc00"}',
    '[-0, 0, 1.0, 1E5, 1e21, 1.5e-7, 0.1000, 123456789012345678901234567890, 9007199254740993]',
    '[1, 2, 3, -17, 0.5, 1e-7, 100000000000000000000]',
    '{"s":"v1.0 007 1E5 sha256:000000abc","n":[12,-3]}',
    String.raw`{"ctl":"\u0000\u0007\b\f\n\r\t\u001f\u007f","html":"<&>","q":"\"\\\/"}`,
    String.raw`{"escaped":"\u2028 \u2029 \ud800 \udc00x \ud83d\ude00","k\u00e9":1,"\ud83d\ude00":2,"\uffff":3}`,
    '  {\n "nested": {"b": [ {"d":1, "c":2} ], "a": null}, "t": true, "f": false }  ',
    '{"__proto__":{"x":1},"constructor":2}',
    '"just a string"',
    '{"dup":1,"dup":2}',
  ];
  for (const input of inputs) {
    it(JSON.stringify(input.slice(0, 50)), () => {
      assert.equal(canonicalizeJsonText(input, 'x'), canonicalJson(parseJsonPreserving(input)));
    });
  }
});

describe('fileDigest hashes like OPA', () => {
  it('hashes data.json, data.yaml, data.yml and .manifest as canonical JSON: whitespace and key order do not matter', () => {
    for (const name of ['data.json', 'x/data.json', 'x/data.yaml', 'x/data.yml', '.manifest']) {
      assert.equal(fileDigest(name, enc.encode('{ "b": 1,\n "a": [true, null] }')), fileDigest(name, enc.encode('{"a":[true,null],"b":1}')), name);
    }
  });

  it('keeps number spelling (1.0 is not 1), as Go json.Number does', () => {
    assert.notEqual(fileDigest('data.json', enc.encode('{"a":1.0}')), fileDigest('data.json', enc.encode('{"a":1}')));
  });

  it('hashes other files, including other .json names, as raw bytes', () => {
    for (const name of ['policy.rego', 'policy.wasm', 'x/other.json', 'plan.json']) {
      assert.notEqual(fileDigest(name, enc.encode('{ "a": 1 }')), fileDigest(name, enc.encode('{"a":1}')), name);
    }
  });

  it('strips a BOM and reads YAML when the bytes are not JSON', () => {
    assert.equal(fileDigest('data.json', enc.encode('\ufeff{"a":1}')), fileDigest('data.json', enc.encode('{"a":1}')));
    assert.equal(fileDigest('data.yaml', enc.encode('a: 1\nb: [x]\n')), fileDigest('data.json', enc.encode('{"b":["x"],"a":1}')));
  });

  it('refuses unknown hash algorithms with OPA wording', () => {
    assert.throws(() => fileDigest('a.rego', enc.encode(''), 'SHA256'), /unsupported hashing algorithm: SHA256/);
  });
});

describe('signing and verifying', () => {
  const files = bundleFiles('app', 'r1');

  for (const alg of SIGNING_ALGORITHMS) {
    it(`${alg}: verifies what it signs`, async () => {
      const k = keyPair(alg);
      const signed = await signFiles(files, { ...k.sign, scope: 's' });
      const result = await verifyFiles(signed, { keys: k.keys, scope: 's' });
      assert.deepEqual(result, { signed: true, keyId: 'k', verified: 3, excluded: 0 });
    });
  }

  it('writes the payload OPA expects: names without /, lower-case SHA-256 hex, numeric iat, scope verbatim, kid header', async () => {
    const k = keyPair('ES256', 'main');
    const signed = await signFiles(files, { ...k.sign, scope: ' exact Scope ', issuedAt: 1700000000 });
    const sig = signed.find((f) => f.path === '/.signatures.json') as BundleFile;
    const doc = JSON.parse(Buffer.from(sig.bytes).toString()) as { signatures: string[] };
    assert.equal(doc.signatures.length, 1);
    const [header, payload] = (doc.signatures[0] as string)
      .split('.')
      .slice(0, 2)
      .map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>);
    assert.deepEqual(header, { alg: 'ES256', kid: 'main' });
    assert.equal(payload?.['iat'], 1700000000);
    assert.equal(payload?.['scope'], ' exact Scope ');
    const listed = payload?.['files'] as { name: string; hash: string; algorithm: string }[];
    assert.deepEqual(
      listed.map((f) => f.name),
      ['.manifest', 'app/data.json', 'app/policy.rego'],
    );
    for (const f of listed) {
      assert.match(f.hash, /^[0-9a-f]{64}$/);
      assert.equal(f.algorithm, 'SHA-256');
    }
  });

  it('re-signing replaces the old signatures file and covers exactly the files present', async () => {
    const k = keyPair('RS256');
    const once = await signFiles(files, k.sign);
    const twice = await signFiles([...once, text('/app/extra.rego', 'package app\n')], k.sign);
    assert.equal(twice.filter((f) => f.path === '/.signatures.json').length, 1);
    assert.equal((await verifyFiles(twice, { keys: k.keys })).verified, 4);
  });

  it('resolves the key id as OPA: configured keyid, else header kid, else payload keyid', async () => {
    const a = keyPair('ES256', 'a');
    const b = keyPair('ES256', 'b');
    const keys = new Map([
      ['a', a.trusted],
      ['b', b.trusted],
    ]);
    const byA = await signFiles(files, a.sign);
    assert.equal((await verifyFiles(byA, { keys })).keyId, 'a');
    await rejectsWith(() => verifyFiles(byA, { keys, keyId: 'b' }), 'SIGNATURE_INVALID', /failed to verify JWT signature/);
    // No kid header, only the deprecated keyid claim.
    const payload = signaturePayload(files, { keyId: 'a' });
    const { keyId: _drop, ...noKid } = a.sign;
    const claimOnly = [...files, { path: '/.signatures.json', bytes: signaturesFileBytes(await signPayload(payload, noKid)) }];
    assert.equal((await verifyFiles(claimOnly, { keys })).keyId, 'a');
    const anonymous = [...files, { path: '/.signatures.json', bytes: signaturesFileBytes(await signPayload(signaturePayload(files, {}), noKid)) }];
    await rejectsWith(() => verifyFiles(anonymous, { keys }), 'SIGNATURE_INVALID', /^verification key ID is empty$/);
    assert.equal((await verifyFiles(anonymous, { keys, keyId: 'a' })).keyId, 'a');
  });

  it('takes the algorithm from the configuration: an ES256 token does not pass as ES384 even with the right key bytes', async () => {
    const k = keyPair('ES256');
    const signed = await signFiles(files, k.sign);
    await rejectsWith(
      () => verifyFiles(signed, { keys: new Map([['k', { ...k.trusted, algorithm: 'ES384' }]]) }),
      'SIGNATURE_INVALID',
      /failed to verify JWT signature/,
    );
  });

  it('uses the key scope when the bundle config gives none, and compares scopes exactly', async () => {
    const k = keyPair('HS256');
    const signed = await signFiles(files, { ...k.sign, scope: 'a' });
    assert.ok((await verifyFiles(signed, { keys: new Map([['k', { ...k.trusted, scope: 'a' }]]) })).signed);
    await rejectsWith(() => verifyFiles(signed, { keys: k.keys }), 'SIGNATURE_INVALID', /^scope mismatch$/);
    await rejectsWith(() => verifyFiles(signed, { keys: k.keys, scope: 'A' }), 'SIGNATURE_INVALID', /^scope mismatch$/);
  });

  it('skips exclude_files (Go globs) when verifying, and leaves them out when signing', async () => {
    const k = keyPair('ES256');
    const withReadme = [...files, text('/README.md', 'hello'), text('/docs/a/README.md', 'nested')];
    const signed = await signFiles(withReadme, { ...k.sign, excludeFiles: ['README.md', '*/*/README.md'] });
    const changed = signed.map((f) => (f.path.endsWith('README.md') ? text(f.path, 'changed') : f));
    const result = await verifyFiles(changed, { keys: k.keys, excludeFiles: ['README.md', '*/*/README.md'] });
    assert.deepEqual([result.verified, result.excluded], [3, 2]);
    await rejectsWith(
      () => verifyFiles(changed, { keys: k.keys, excludeFiles: ['*README.md'] }),
      'SIGNATURE_INVALID',
      /file docs\/a\/README\.md not included in bundle signature/,
    );
  });

  it('treats an unsigned bundle as OPA does: refused when required, accepted when optional', async () => {
    const k = keyPair('RS256');
    await rejectsWith(() => verifyFiles(files, { keys: k.keys }), 'SIGNATURE_INVALID', /^bundle missing \.signatures\.json file$/);
    assert.deepEqual(await verifyFiles(files, { keys: k.keys, required: false }), { signed: false, verified: 0, excluded: 0 });
  });

  it('refuses malformed signature documents with OPA wording', async () => {
    const k = keyPair('RS256');
    const withSig = (body: string) => [...files, text('/.signatures.json', body)];
    await rejectsWith(() => verifyFiles(withSig('{"signatures":[]}'), { keys: k.keys }), 'SIGNATURE_INVALID', /missing JWT \(expected exactly one\)/);
    await rejectsWith(() => verifyFiles(withSig('{"signatures":["a.b"]}'), { keys: k.keys }), 'SIGNATURE_INVALID', /failed to split compact JWT/);
    await rejectsWith(
      () => verifyFiles(withSig('{"signatures":["x"],"plugin":"custom"}'), { keys: k.keys }),
      'SIGNATURE_INVALID',
      /no verifier exists under id custom/,
    );
    await rejectsWith(() => verifyFiles(withSig('not json'), { keys: k.keys }), 'SIGNATURE_INVALID', /bundle load failed on signatures decode/);
    const token = `${Buffer.from('{"alg":"RS256","kid":"k"}').toString('base64url')}.${Buffer.from('{"files":[],"iat":"yesterday"}').toString('base64url')}.sig`;
    await rejectsWith(() => verifyFiles(withSig(JSON.stringify({ signatures: [token] })), { keys: k.keys }), 'SIGNATURE_INVALID', /iat must be an integer/);
    await rejectsWith(
      () => verifyFiles(withSig(JSON.stringify({ signatures: [token] })), { keys: new Map() }),
      'SIGNATURE_INVALID',
      /verification key not provided/,
    );
  });

  it('refuses a payload digest in the wrong hash algorithm name, and accepts upper-case hex', async () => {
    const k = keyPair('ES256');
    const payload = signaturePayload(files, { keyId: 'k' });
    const upper = { ...payload, files: payload.files.map((f) => ({ ...f, hash: f.hash.toUpperCase() })) };
    const ok = [...files, { path: '/.signatures.json', bytes: signaturesFileBytes(await signPayload(upper, k.sign)) }];
    assert.ok((await verifyFiles(ok, { keys: k.keys })).signed);
    const docStyle = { ...payload, files: payload.files.map((f) => ({ ...f, algorithm: 'SHA256' })) };
    const bad = [...files, { path: '/.signatures.json', bytes: signaturesFileBytes(await signPayload(docStyle, k.sign)) }];
    await rejectsWith(() => verifyFiles(bad, { keys: k.keys }), 'SIGNATURE_INVALID', /unsupported hashing algorithm: SHA256/);
  });

  it('verifyBundle reads archives with the bundle reader, so hostile archives fail there', async () => {
    const k = keyPair('ES256');
    const signed = writeTarGz(await signFiles(files, k.sign));
    assert.ok((await verifyBundle(signed, { keys: k.keys })).signed);
    await assert.rejects(
      () => verifyBundle(signed.subarray(0, 40), { keys: k.keys }),
      (err: AppError) => err.code === 'BUNDLE_INVALID',
    );
  });

  it('hashes structured files canonically on both sides: a reformatted data.json still verifies', async () => {
    const k = keyPair('ES256');
    const signed = await signFiles([...files, text('/x/data.json', '{"b":[1,2],"a":"é"}')], k.sign);
    const reformatted = signed.map((f) => (f.path === '/x/data.json' ? text(f.path, '{\n  "a": "\\u00e9",\n  "b": [ 1, 2 ]\n}\n') : f));
    assert.ok((await verifyFiles(reformatted, { keys: k.keys })).signed);
    const renumbered = signed.map((f) => (f.path === '/x/data.json' ? text(f.path, canonicalJson({ a: 'é', b: [1, 2.0] }).replace('2]', '2.0]')) : f));
    await rejectsWith(() => verifyFiles(renumbered, { keys: k.keys }), 'SIGNATURE_INVALID', /x\/data\.json: digest mismatch/);
  });
});

describe('keys', () => {
  it('reads PKCS#8, PKCS#1 (RSA PRIVATE KEY) and SEC1 (EC PRIVATE KEY) private keys', () => {
    const rsa = rsaPair();
    const ec = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    const pkcs1 = rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }) as string;
    const sec1 = ec.privateKey.export({ type: 'sec1', format: 'pem' }) as string;
    assert.match(pkcs1, /BEGIN RSA PRIVATE KEY/);
    assert.match(sec1, /BEGIN EC PRIVATE KEY/);
    assert.equal(loadSigningKey(enc.encode(pkcs1), 'PS256', 'k').asymmetricKeyType, 'rsa');
    assert.equal(loadSigningKey(enc.encode(sec1), 'ES384', 'k').asymmetricKeyType, 'ec');
    assert.equal(loadSigningKey(enc.encode(rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string), 'RS256', 'k').type, 'private');
  });

  it('reads PUBLIC KEY, RSA PUBLIC KEY, CERTIFICATE and private keys for verification', () => {
    const rsa = rsaPair();
    for (const pem of [
      rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string,
      rsa.publicKey.export({ type: 'pkcs1', format: 'pem' }) as string,
      rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }) as string,
    ]) {
      assert.equal(loadVerificationKey(enc.encode(pem), 'RS256', 'k').type, 'public');
    }
  });

  it('refuses keys that do not fit the algorithm, naming only the source', () => {
    const ec = generateKeyMaterial('ES256');
    assert.throws(
      () => loadSigningKey(ec.privateMaterial, 'RS256', 'mykey'),
      (err: AppError) => err.code === 'KEY_INVALID' && /^mykey: RS256 needs an RSA key/.test(err.message),
    );
    assert.throws(() => loadSigningKey(ec.privateMaterial, 'ES384', 'mykey'), /ES384 needs an EC key on curve secp384r1, not curve prime256v1/);
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    assert.throws(() => loadSigningKey(enc.encode(small), 'RS256', 'k'), /at least 2048 bits/);
    assert.throws(() => loadVerificationKey(enc.encode('not a pem'), 'ES256', 'k'), /failed to parse PEM block containing the key/);
    assert.throws(() => loadSigningKey(new Uint8Array(), 'HS256', 'k'), /the HMAC secret is empty/);
    const pub = generated('RS256').publicPem as string;
    assert.throws(() => loadVerificationKey(enc.encode(pub), 'HS256', 'k'), /an HMAC secret must not be a PEM key/);
    assert.throws(() => loadSigningKey(enc.encode(pub), 'RS256', 'k'), /needs a PEM private key/);
  });

  it('generates keys of the right type for every algorithm', () => {
    for (const alg of SIGNING_ALGORITHMS) {
      const k = generated(alg);
      assert.match(k.keyId, new RegExp(`^${alg.toLowerCase()}-[0-9a-f]{12}$`));
      if (alg.startsWith('HS')) assert.equal(k.publicPem, undefined);
      else assert.equal(createPrivateKey(Buffer.from(k.privateMaterial)).type, 'private');
    }
  });
});
