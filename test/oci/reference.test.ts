import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAppError } from '../../src/core/index.js';
import { formatReference, isLoopback, parseChallenges, parseReference } from '../../src/oci/index.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('registry references (host[:port]/repository[:tag][@digest], as oras parses them)', () => {
  it('parses host, port, nested repositories, tags and digests', () => {
    assert.deepEqual(parseReference('ghcr.io/org/policy:1.0.0'), { registry: 'ghcr.io', repository: 'org/policy', tag: '1.0.0' });
    assert.deepEqual(parseReference('127.0.0.1:5000/a/b/c'), { registry: '127.0.0.1:5000', repository: 'a/b/c' });
    assert.deepEqual(parseReference(`localhost/p@${DIGEST}`), { registry: 'localhost', repository: 'p', digest: DIGEST });
    assert.deepEqual(parseReference(`r.example.com/p:v1@${DIGEST}`), { registry: 'r.example.com', repository: 'p', tag: 'v1', digest: DIGEST });
    assert.deepEqual(parseReference('[::1]:5000/p:v1'), { registry: '[::1]:5000', repository: 'p', tag: 'v1' });
    assert.equal(formatReference(parseReference(`r.example.com/p:v1@${DIGEST}`)), `r.example.com/p:v1@${DIGEST}`);
  });

  it('refuses what a registry would not accept, saying why', () => {
    const cases: [string, RegExp][] = [
      ['policy:latest', /names no registry host/],
      ['team/policy:latest', /'team' has no dot or port/],
      ['r.example.com/Policy', /not a valid repository name/],
      ['r.example.com/policy:-bad', /not a valid tag/],
      ['r.example.com/policy@sha256:abc', /not a sha256 or sha512 digest/],
      ['r.example.com/a//b', /not a valid repository name/],
      ['bad_host!/p', /not a host or host:port/],
    ];
    for (const [text, why] of cases) {
      assert.throws(
        () => parseReference(text),
        (err: unknown) => isAppError(err) && err.code === 'REFERENCE_INVALID' && why.test(err.message),
        text,
      );
    }
  });

  it('treats only loopback hosts as loopback', () => {
    for (const host of ['localhost:5000', '127.0.0.1', '127.1.2.3:80', '[::1]:5000', 'registry.localhost']) assert.equal(isLoopback(host), true, host);
    for (const host of ['10.0.0.1:5000', 'ghcr.io', 'localhost.example.com', '128.0.0.1']) assert.equal(isLoopback(host), false, host);
  });
});

describe('WWW-Authenticate challenges', () => {
  it('reads Bearer parameters, quoted commas included, and several challenges', () => {
    assert.deepEqual(parseChallenges('Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:team/p:pull,push"'), [
      { scheme: 'bearer', params: { realm: 'https://auth.example.com/token', service: 'registry.example.com', scope: 'repository:team/p:pull,push' } },
    ]);
    assert.deepEqual(parseChallenges('Basic realm="basic-realm"'), [{ scheme: 'basic', params: { realm: 'basic-realm' } }]);
    assert.deepEqual(parseChallenges('Basic realm="a", Bearer realm="https://t/x", error="insufficient_scope"'), [
      { scheme: 'basic', params: { realm: 'a' } },
      { scheme: 'bearer', params: { realm: 'https://t/x', error: 'insufficient_scope' } },
    ]);
    assert.deepEqual(parseChallenges('Bearer realm="a \\"quoted\\" realm"'), [{ scheme: 'bearer', params: { realm: 'a "quoted" realm' } }]);
    assert.deepEqual(parseChallenges(undefined), []);
  });
});
