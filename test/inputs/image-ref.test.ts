import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { parseImageRef } from '../../src/inputs/index.js';

const D = `sha256:${'0123456789abcdef'.repeat(4)}`;

describe('parseImageRef', () => {
  const cases: ReadonlyArray<readonly [string, string, string, string | null, string | null, boolean]> = [
    // input, registry, repository, tag, digest, tag_explicit
    ['nginx', 'docker.io', 'library/nginx', 'latest', null, false],
    ['nginx:1.27', 'docker.io', 'library/nginx', '1.27', null, true],
    ['library/nginx:1.27', 'docker.io', 'library/nginx', '1.27', null, true],
    ['docker.io/nginx', 'docker.io', 'library/nginx', 'latest', null, false],
    ['index.docker.io/library/ubuntu:20.04', 'docker.io', 'library/ubuntu', '20.04', null, true],
    ['bkimminich/juice-shop:v10.2.0', 'docker.io', 'bkimminich/juice-shop', 'v10.2.0', null, true],
    [`nginx@${D}`, 'docker.io', 'library/nginx', null, D, false],
    [`nginx:1.27@${D}`, 'docker.io', 'library/nginx', '1.27', D, true],
    ['localhost/app', 'localhost', 'app', 'latest', null, false],
    ['localhost:5000/team/app:2.0', 'localhost:5000', 'team/app', '2.0', null, true],
    ['registry.example.com:8443/a/b/c:tag', 'registry.example.com:8443', 'a/b/c', 'tag', null, true],
    [
      '791719295754.dkr.ecr.us-east-2.amazonaws.com/dva/pki_aws_bootstrap:6',
      '791719295754.dkr.ecr.us-east-2.amazonaws.com',
      'dva/pki_aws_bootstrap',
      '6',
      null,
      true,
    ],
    ['[::1]:5000/app:1', '[::1]:5000', 'app', '1', null, true],
    ['Registry/app', 'Registry', 'app', 'latest', null, false],
  ];

  for (const [input, registry, repository, tag, digest, explicit] of cases) {
    it(input, () => {
      const ref = parseImageRef(input);
      assert.ok(ref, `${input} should parse`);
      assert.deepEqual(
        { registry: ref.registry, repository: ref.repository, tag: ref.tag, digest: ref.digest, explicit: ref.tag_explicit, name: ref.name },
        { registry, repository, tag, digest, explicit, name: `${registry}/${repository}` },
      );
      assert.equal(ref.ref, input);
    });
  }

  it('lower-cases the digest hex', () => {
    assert.equal(parseImageRef(`app@${D.toUpperCase().replace('SHA256', 'sha256')}`)?.digest, D);
  });

  for (const bad of [
    '',
    'team/App',
    'UPPER',
    'app@sha256:abc',
    'app:',
    'app:-bad',
    'a//b',
    'app:tag:extra@x',
    'with space:1',
    `app@${D}@${D}`,
    'app:' + 't'.repeat(129),
  ]) {
    it(`rejects ${JSON.stringify(bad.slice(0, 40))}`, () => assert.equal(parseImageRef(bad), null));
  }
});
