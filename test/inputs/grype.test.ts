import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { detectReportFormat } from '../../src/inputs/index.js';
import { normalizeReport } from './synthetic.js';

function match(id: string, vulnerability: Record<string, unknown>, artifact: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    vulnerability: { id, severity: 'High', namespace: 'debian:distro:debian:12', ...vulnerability },
    matchDetails: [{ type: 'exact-direct-match', matcher: 'dpkg-matcher' }],
    artifact: {
      name: 'openssl',
      version: '3.0.11-1',
      type: 'deb',
      purl: 'pkg:deb/debian/openssl@3.0.11-1',
      locations: [{ path: '/var/lib/dpkg/status' }],
      ...artifact,
    },
  };
}

const imageConfig = Buffer.from(
  JSON.stringify({
    created: '2025-01-02T03:04:05Z',
    config: { User: 'app', ExposedPorts: { '8443/tcp': {} }, Env: ['A=1'], Labels: { 'org.opencontainers.image.base.name': 'docker.io/library/debian:12' } },
  }),
).toString('base64');

describe('Grype JSON, current shape', () => {
  const report = {
    matches: [
      match('CVE-1', {
        fix: { versions: ['3.0.13-1'], state: 'fixed' },
        cvss: [
          { version: '3.1', metrics: { baseScore: 7.5 } },
          { version: '2.0', metrics: { baseScore: 5 } },
        ],
      }),
      match('CVE-2', { fix: { versions: [], state: 'not-fixed' }, severity: 'Negligible' }),
      match('CVE-3', { fix: { versions: ['9'], state: 'wont-fix' } }),
      match('CVE-4', { fix: { versions: ['2'], state: '' }, severity: null }),
      match(
        'GHSA-5',
        { fix: { versions: ['2.1'], state: 'fixed' } },
        { name: 'jackson', version: '2.0', type: 'java-archive', purl: 'pkg:maven/x/jackson@2.0', locations: [{ path: '/app/lib/jackson.jar' }] },
      ),
    ],
    source: {
      type: 'image',
      target: { userInput: 'app:1', imageID: 'sha256:abc', manifestDigest: 'sha256:' + 'a'.repeat(64), tags: ['app:1'], imageSize: 1234, config: imageConfig },
    },
    distro: { name: 'debian', version: '12', idLike: [] },
    descriptor: { name: 'grype', version: '0.94.0', timestamp: '2025-06-01T10:00:00.5+02:00' },
  };

  it('is detected and maps fix states, severities and classes', () => {
    assert.equal(detectReportFormat(report), 'grype');
    const input = normalizeReport(report);
    assert.deepEqual(
      input.vulnerabilities.map((v) => [v.id, v.status, v.fix_available, v.severity, v.package.class]),
      [
        ['CVE-1', 'fixed', true, 'HIGH', 'os'],
        ['CVE-2', 'affected', false, 'NEGLIGIBLE', 'os'],
        ['CVE-3', 'will_not_fix', false, 'HIGH', 'os'],
        ['CVE-4', 'fixed', true, 'UNKNOWN', 'os'],
        ['GHSA-5', 'fixed', true, 'HIGH', 'library'],
      ],
    );
    assert.equal(input.vulnerabilities[0]?.cvss_score, 7.5, 'the newest CVSS version wins');
    assert.equal(input.reports[0]?.created, '2025-06-01T08:00:00.500Z');
  });

  it('reads the image identity and the base64 image config', () => {
    const { image } = normalizeReport(report);
    assert.equal(image.name, 'docker.io/library/app');
    assert.equal(image.digest, 'sha256:' + 'a'.repeat(64));
    assert.equal(image.user, 'app');
    assert.equal(image.runs_as_root, false);
    assert.deepEqual(image.exposed_ports, [8443]);
    assert.deepEqual(image.env, [{ name: 'A', value: '1' }]);
    assert.equal(image.base_image?.name, 'docker.io/library/debian');
    assert.equal(image.os.family, 'debian');
    assert.equal(image.size_bytes, 1234);
  });

  it('keeps going with a warning when the image config is not decodable', () => {
    const broken = { ...report, source: { type: 'image', target: { userInput: 'app:1', config: '!!!not base64 json' } } };
    const input = normalizeReport(broken);
    assert.equal(input.image.user, null);
    assert.ok(input.reports[0]?.warnings.some((w) => w.code === 'IMAGE_CONFIG_UNREADABLE'));
  });

  it('names no image for a directory scan', () => {
    const input = normalizeReport({ matches: [], source: { type: 'directory', target: '/src' }, descriptor: { name: 'grype', version: '0.90.0' } });
    assert.equal(input.image.ref, null);
  });
});

describe('Grype JSON, legacy 0.7 shape', () => {
  const legacy = {
    matches: [
      {
        vulnerability: {
          id: 'CVE-2019-18276',
          severity: 'Low',
          links: ['https://security-tracker.debian.org/tracker/CVE-2019-18276'],
          cvssV3: { baseScore: 7.8, vector: 'x' },
        },
        matchDetails: { matcher: 'dpkg-matcher', searchKey: { distro: { type: 'debian', version: '10' } }, matchedOn: { constraint: 'none (deb)' } },
        artifact: { name: 'bash', version: '5.0-4', type: 'deb', locations: [{ path: '/var/lib/dpkg/status' }], cpes: [{ Part: 'a', Product: 'bash' }] },
      },
    ],
    source: { type: 'image', target: { userInput: 'debian:10', scope: 'Squashed' } },
    distro: { name: 'debian', version: '10', idLike: '' },
    descriptor: { name: 'grype', version: '0.7.0' },
  };

  it('is read without a fix object: nothing is fixable', () => {
    const input = normalizeReport(legacy);
    assert.equal(input.reports[0]?.format_version, 'legacy');
    const [v] = input.vulnerabilities;
    assert.equal(v?.status, 'affected');
    assert.equal(v?.fix_available, false);
    assert.equal(v?.cvss_score, 7.8);
    assert.equal(v?.primary_url, 'https://security-tracker.debian.org/tracker/CVE-2019-18276');
    assert.equal(input.image.tag, '10');
  });
});
