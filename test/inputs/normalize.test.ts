import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { ageInDays, isFixAvailable, normalize, normalizeSeverity, packageClass, SEVERITY_RANK } from '../../src/inputs/index.js';
import { bytes, NOW, reportFile, trivyVuln } from './synthetic.js';

const DIGEST = `sha256:${'9'.repeat(64)}`;

const trivy = {
  SchemaVersion: 2,
  ArtifactName: 'shop/api:1.0',
  ArtifactType: 'container_image',
  Metadata: { OS: { Family: 'debian', Name: '12.5' }, RepoDigests: [`shop/api@${DIGEST}`] },
  Results: [
    {
      Target: 'shop/api:1.0 (debian 12.5)',
      Class: 'os-pkgs',
      Type: 'debian',
      Vulnerabilities: [trivyVuln('CVE-1', { PkgName: 'libssl3', InstalledVersion: '3.0.11-1', FixedVersion: '3.0.13-1', Severity: 'HIGH' })],
    },
    {
      Target: 'app/package-lock.json',
      Class: 'lang-pkgs',
      Type: 'npm',
      Vulnerabilities: [trivyVuln('CVE-2', { PkgName: 'lodash', InstalledVersion: '4.17.4', PkgPath: 'app/node_modules/lodash/package.json' })],
    },
  ],
};

const grype = {
  matches: [
    {
      vulnerability: { id: 'CVE-1', severity: 'Critical', fix: { versions: ['3.0.13-1'], state: 'fixed' } },
      artifact: { name: 'libssl3', version: '3.0.11-1', type: 'deb', locations: [{ path: '/var/lib/dpkg/status' }] },
    },
    {
      vulnerability: { id: 'CVE-2', severity: 'High', fix: { versions: [], state: 'not-fixed' } },
      artifact: { name: 'lodash', version: '4.17.4', type: 'npm', locations: [{ path: '/app/node_modules/lodash/package.json' }] },
    },
    {
      vulnerability: { id: 'CVE-3', severity: 'Low', fix: { versions: [], state: 'not-fixed' } },
      artifact: { name: 'zlib1g', version: '1.2.13', type: 'deb' },
    },
  ],
  source: { type: 'image', target: { userInput: 'shop/api:1.0', config: Buffer.from(JSON.stringify({ config: { User: 'node' } })).toString('base64') } },
  distro: { name: 'debian', version: '12' },
  descriptor: { name: 'grype', version: '0.80.0' },
};

describe('normalize with several inputs', () => {
  const input = normalize({
    reports: [reportFile(trivy, 'trivy.json'), reportFile(grype, 'grype.json')],
    dockerfile: { path: 'Dockerfile', bytes: bytes('FROM node:20-bookworm\nUSER node\n') },
    manifest: {
      path: 'deploy.yaml',
      bytes: bytes('kind: Pod\nmetadata: {name: api, namespace: shop}\nspec: {containers: [{name: api, image: "shop/api:1.0"}]}\n'),
    },
    metadata: { path: 'meta.yaml', bytes: bytes('environment: prod\ncluster: eu-1\n') },
    now: '2026-01-01T01:00:00+01:00',
  });

  it('merges vulnerabilities, the first report winning on duplicates (id, package, version, library path)', () => {
    assert.deepEqual(
      input.vulnerabilities.map((v) => [v.id, v.package.name, v.severity]),
      [
        ['CVE-1', 'libssl3', 'HIGH'],
        ['CVE-2', 'lodash', 'HIGH'],
        ['CVE-3', 'zlib1g', 'LOW'],
      ],
    );
    assert.deepEqual(
      input.reports.map((r) => [r.file, r.format, r.vulnerability_count]),
      [
        ['trivy.json', 'trivy', 2],
        ['grype.json', 'grype', 3],
      ],
    );
    assert.deepEqual(input.summary.vulnerabilities, {
      total: 3,
      fixable: 1,
      by_severity: { UNKNOWN: 0, NEGLIGIBLE: 0, LOW: 1, MEDIUM: 0, HIGH: 2, CRITICAL: 0 },
    });
  });

  it('fills image facts from later reports and the Dockerfile', () => {
    assert.equal(input.image.digest, DIGEST);
    assert.equal(input.image.os.name, '12.5', 'the first report wins');
    assert.equal(input.image.user, 'node', 'only Grype knew the config');
    assert.equal(input.image.base_image?.name, 'docker.io/library/node');
  });

  it('carries workloads, metadata (namespace from the workload) and now in UTC', () => {
    assert.equal(input.workloads[0]?.containers[0]?.image_ref?.name, input.image.name);
    assert.deepEqual(input.metadata, { namespace: 'shop', namespace_labels: {}, environment: 'prod', cluster: 'eu-1', labels: {} });
    assert.equal(input.now, '2026-01-01T00:00:00.000Z');
    assert.equal(input.schema_version, 1);
  });

  it('with nothing given, is still a complete, valid input', () => {
    const empty = normalize({ now: NOW });
    assert.equal(empty.image.ref, null);
    assert.deepEqual([empty.vulnerabilities, empty.workloads, empty.reports], [[], [], []]);
    assert.equal(empty.dockerfile, null);
  });
});

describe('derived facts', () => {
  it('severity: scanner spellings map onto one scale with a rank', () => {
    assert.deepEqual(['critical', 'High', 'moderate', 'Negligible', 'none', null, 'bogus', 3].map(normalizeSeverity), [
      'CRITICAL',
      'HIGH',
      'MEDIUM',
      'NEGLIGIBLE',
      'NEGLIGIBLE',
      'UNKNOWN',
      'UNKNOWN',
      'HIGH',
    ]);
    assert.deepEqual(
      Object.entries(SEVERITY_RANK)
        .sort((a, b) => a[1] - b[1])
        .map(([s]) => s),
      ['UNKNOWN', 'NEGLIGIBLE', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'],
    );
  });

  it('fix availability', () => {
    assert.equal(isFixAvailable('fixed', []), true);
    assert.equal(isFixAvailable('affected', ['1.2']), true);
    assert.equal(isFixAvailable('will_not_fix', ['1.2']), false);
    assert.equal(isFixAvailable('affected', []), false);
  });

  it('age in whole days against the given now', () => {
    const now = new Date('2026-01-31T00:00:00Z');
    assert.equal(ageInDays('2026-01-01T00:00:01Z', now), 29);
    assert.equal(ageInDays('2026-01-01T00:00:00Z', now), 30);
    assert.equal(ageInDays(null, now), null);
  });

  it('OS vs library class from Trivy Class, package type or purl', () => {
    assert.equal(packageClass({ trivyClass: 'os-pkgs' }), 'os');
    assert.equal(packageClass({ type: 'rpm' }), 'os');
    assert.equal(packageClass({ purl: 'pkg:apk/alpine/musl@1.2' }), 'os');
    assert.equal(packageClass({ type: 'java-archive', purl: 'pkg:maven/a/b@1' }), 'library');
    assert.equal(packageClass({ type: 'binary' }), 'library');
  });
});
