import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { detectReportFormat } from '../../src/inputs/index.js';
import { AppError } from '../../src/core/index.js';
import { normalizeReport, normalizeWith, reportFile, trivyVuln } from './synthetic.js';

const DIGEST = 'sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';

describe('Trivy JSON, SchemaVersion 2', () => {
  it('accepts a report whose Results key is absent (Trivy omits it when nothing was found)', () => {
    const input = normalizeReport({ SchemaVersion: 2, ArtifactName: 'nginx:1.27', ArtifactType: 'container_image' });
    assert.equal(input.vulnerabilities.length, 0);
    assert.equal(input.image.name, 'docker.io/library/nginx');
    assert.equal(input.reports[0]?.format_version, '2');
  });

  it('accepts empty Results and Vulnerabilities: null; refuses a report that names nothing (REPORT_EMPTY) unless asked', () => {
    assert.equal(normalizeReport({ SchemaVersion: 2, ArtifactName: '.', ArtifactType: 'filesystem', Results: [] }).vulnerabilities.length, 0);
    assert.throws(
      () => normalizeReport({ SchemaVersion: 2, Results: [] }),
      (err: unknown) => err instanceof AppError && err.code === 'REPORT_EMPTY',
    );
    assert.equal(normalizeWith({ reports: [reportFile({ SchemaVersion: 2 })], allowEmpty: true }).vulnerabilities.length, 0);
    const input = normalizeReport({ SchemaVersion: 2, Results: [{ Target: 'x (alpine 3.19.0)', Class: 'os-pkgs', Type: 'alpine', Vulnerabilities: null }] });
    assert.equal(input.vulnerabilities.length, 0);
  });

  it('maps Status values, and derives one from FixedVersion when Trivy gave none', () => {
    const input = normalizeReport({
      SchemaVersion: 2,
      Results: [
        {
          Target: 't',
          Class: 'os-pkgs',
          Type: 'redhat',
          Vulnerabilities: [
            trivyVuln('CVE-1', { Status: 'will_not_fix' }),
            trivyVuln('CVE-2', { FixedVersion: '1.2' }),
            trivyVuln('CVE-3'),
            trivyVuln('CVE-4', { Status: 'fixed', FixedVersion: '' }),
          ],
        },
      ],
    });
    assert.deepEqual(
      input.vulnerabilities.map((v) => [v.id, v.status, v.fix_available]),
      [
        ['CVE-1', 'will_not_fix', false],
        ['CVE-2', 'fixed', true],
        ['CVE-3', 'affected', false],
        ['CVE-4', 'fixed', true],
      ],
    );
  });

  it('splits comma-separated fixed versions and classes packages by Result Class', () => {
    const input = normalizeReport({
      SchemaVersion: 2,
      Results: [
        {
          Target: 'Node.js',
          Class: 'lang-pkgs',
          Type: 'node-pkg',
          Vulnerabilities: [trivyVuln('CVE-9', { FixedVersion: '6.0.1, 5.0.1', PkgPath: 'app/node_modules/x/package.json' })],
        },
      ],
    });
    const [v] = input.vulnerabilities;
    assert.deepEqual(v?.fixed_versions, ['6.0.1', '5.0.1']);
    assert.equal(v?.fixed_version, '6.0.1, 5.0.1');
    assert.equal(v?.package.class, 'library');
    assert.equal(v?.package.path, 'app/node_modules/x/package.json');
  });

  it('computes CVE age against the injected now, never the clock', () => {
    const input = normalizeReport({
      SchemaVersion: 2,
      Results: [
        {
          Target: 't',
          Vulnerabilities: [
            trivyVuln('CVE-OLD', { PublishedDate: '2025-12-01T12:00:00Z' }),
            trivyVuln('CVE-FUTURE', { PublishedDate: '2026-06-01T00:00:00Z' }),
            trivyVuln('CVE-NODATE', { PublishedDate: 'not a date' }),
          ],
        },
      ],
    });
    assert.deepEqual(
      input.vulnerabilities.map((v) => v.age_days),
      [30, 0, null],
    );
    assert.equal(input.now, '2026-01-01T00:00:00.000Z');
  });

  it('takes the CVSS score of the severity source, then NVD', () => {
    const input = normalizeReport({
      SchemaVersion: 2,
      Results: [
        {
          Target: 't',
          Vulnerabilities: [
            trivyVuln('CVE-A', { SeveritySource: 'redhat', CVSS: { nvd: { V3Score: 9.8 }, redhat: { V3Score: 7.5 } } }),
            trivyVuln('CVE-B', { SeveritySource: 'ghsa', CVSS: { nvd: { V2Score: 5, V3Score: 6.1 } } }),
          ],
        },
      ],
    });
    assert.deepEqual(
      input.vulnerabilities.map((v) => v.cvss_score),
      [7.5, 6.1],
    );
  });

  it('names the image from RepoDigests when ArtifactName and RepoTags are empty', () => {
    const input = normalizeReport({
      SchemaVersion: 2,
      ArtifactName: '',
      ArtifactType: 'container_image',
      Metadata: {
        RepoTags: [''],
        RepoDigests: [`registry.example.com:5000/team/app@${DIGEST}`],
        ImageConfig: { config: { User: '0:0', ExposedPorts: { '22/tcp': {}, '8080/tcp': {} } } },
      },
    });
    assert.equal(input.image.registry, 'registry.example.com:5000');
    assert.equal(input.image.repository, 'team/app');
    assert.equal(input.image.digest, DIGEST);
    assert.equal(input.image.runs_as_root, true);
    assert.deepEqual(input.image.exposed_ports, [22, 8080]);
  });

  it('skips an archive path in ArtifactName and uses Metadata.Reference, adding the matching repo digest', () => {
    const input = normalizeReport({
      SchemaVersion: 2,
      ArtifactName: 'images/app.tar.gz',
      ArtifactType: 'container_image',
      Metadata: { Reference: 'ghcr.io/acme/app:1.0', RepoDigests: [`other/repo@${DIGEST.replace('0123', 'ffff')}`, `ghcr.io/acme/app@${DIGEST}`] },
    });
    assert.equal(input.image.ref, 'ghcr.io/acme/app:1.0');
    assert.equal(input.image.digest, DIGEST);
  });

  it('names no image for filesystem scans', () => {
    const input = normalizeReport({ SchemaVersion: 2, ArtifactName: 'requirements.txt', ArtifactType: 'filesystem', Results: [] });
    assert.equal(input.image.ref, null);
    assert.equal(input.image.runs_as_root, null);
  });
});

describe('Trivy JSON before 0.19 (a top-level array)', () => {
  const legacy = [
    {
      Target: 'alpine:3.10 (alpine 3.10.2)',
      Type: 'alpine',
      Vulnerabilities: [trivyVuln('CVE-2019-1549', { FixedVersion: '1.1.1d-r0' }), { PkgName: 'stub-only' }],
    },
    { Target: 'app/package-lock.json', Type: 'npm', Vulnerabilities: null },
    { Target: 'app/yarn.lock', Type: 'yarn', Vulnerabilities: [trivyVuln('GHSA-xxxx', { PkgName: 'lodash', InstalledVersion: '4.17.4' })] },
  ];

  it('is detected, parsed, and the image comes from the OS target', () => {
    assert.equal(detectReportFormat(legacy), 'trivy');
    const input = normalizeReport(legacy);
    assert.equal(input.reports[0]?.format_version, 'legacy');
    assert.equal(input.image.name, 'docker.io/library/alpine');
    assert.equal(input.image.tag, '3.10');
    assert.deepEqual(
      input.vulnerabilities.map((v) => [v.id, v.package.class]),
      [
        ['CVE-2019-1549', 'os'],
        ['GHSA-xxxx', 'library'],
      ],
    );
  });

  it('skips a stub entry without an ID and says where', () => {
    const input = normalizeReport(legacy);
    assert.deepEqual(input.reports[0]?.warnings, [
      { code: 'VULNERABILITY_WITHOUT_ID', message: 'skipped a vulnerability entry without an ID or package', path: '/0/Vulnerabilities/1' },
    ]);
  });

  it('accepts the literal null Trivy wrote for an empty scan', () => {
    assert.equal(normalizeReport(null).vulnerabilities.length, 0);
  });
});

describe('trivy k8s JSON', () => {
  const k8s = {
    ClusterName: 'prod',
    Resources: [
      {
        Namespace: 'web',
        Kind: 'Deployment',
        Name: 'shop',
        Results: [{ Target: 'nginx:1.25 (debian 12.1)', Class: 'os-pkgs', Type: 'debian', Vulnerabilities: [trivyVuln('CVE-1')] }],
      },
      {
        Namespace: 'db',
        Kind: 'StatefulSet',
        Name: 'pg',
        Results: [{ Target: 'postgres:16 (debian 12.1)', Class: 'os-pkgs', Type: 'debian', Vulnerabilities: [trivyVuln('CVE-1')] }],
      },
      { Namespace: 'kube-system', Kind: 'DaemonSet', Name: 'broken', Error: 'scan failed' },
    ],
  };

  it('keeps each workload on its findings, so one CVE in two workloads stays two findings', () => {
    assert.equal(detectReportFormat(k8s), 'trivy-k8s');
    const input = normalizeReport(k8s);
    assert.deepEqual(
      input.vulnerabilities.map((v) => v.resource),
      [
        { kind: 'Deployment', namespace: 'web', name: 'shop' },
        { kind: 'StatefulSet', namespace: 'db', name: 'pg' },
      ],
    );
  });

  it('names no single image when the workloads run different ones', () => {
    assert.equal(normalizeReport(k8s).image.ref, null);
  });
});
