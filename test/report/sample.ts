import type { Decision, ReportContext } from '../../src/report/index.js';

// A decision with one of everything: a vulnerability violation, a Dockerfile
// finding with a line, a warning, an applied and an expired exception, and
// text that needs escaping in every format (pipes, angle brackets, newlines,
// percent signs, quotes).

export const SAMPLE_CONTEXT: ReportContext = {
  target: 'registry.example.com/shop/web:1.4.2',
  artifacts: ['reports/trivy.json', 'Dockerfile'],
  now: '2026-11-01T00:00:00.000Z',
  tool: { name: 'portcullis', version: '0.1.0' },
  inputWarnings: [
    {
      file: 'reports/trivy.json',
      format: 'trivy',
      warnings: [
        { code: 'SEVERITY_MISSING', message: 'no severity; counted as UNKNOWN', path: '/Results/1/Vulnerabilities/3' },
        { code: 'STATUS_UNKNOWN', message: 'unrecognised status "wontfix"; counted as affected', path: '/Results/1/Vulnerabilities/9' },
      ],
    },
    { file: 'Dockerfile', format: 'dockerfile', warnings: [] },
  ],
};

export const SAMPLE: Decision = {
  decision: 'deny',
  violations: [
    {
      rule: 'run_as_root',
      title: 'Image runs as root',
      severity: 'HIGH',
      enforcement: 'deny',
      message: 'the final stage runs as root: add a USER with a non-zero UID',
      location: { file: 'Dockerfile', line: 7 },
    },
    {
      rule: 'vulnerability_severity',
      title: 'Fixable vulnerability at or above the severity threshold',
      practice: 'Deny fixable HIGH and CRITICAL vulnerabilities in production',
      severity: 'CRITICAL',
      enforcement: 'deny',
      message: 'CVE-2021-44906 in minimist 1.2.5 is CRITICAL; fixed in 1.2.6',
      image: 'registry.example.com/shop/web:1.4.2',
      id: 'CVE-2021-44906',
      package: 'minimist',
      installed_version: '1.2.5',
      fixed_version: '1.2.6',
    },
  ],
  warnings: [
    {
      rule: 'unfixed_vulnerability',
      severity: 'HIGH',
      enforcement: 'warn',
      message: 'GHSA-x|y <b>100%</b> "quoted"\nsecond line',
      image: 'registry.example.com/shop/web:1.4.2',
      id: 'GHSA-5mrr-rgp6-x4gr',
      package: 'marsdb',
      installed_version: '0.6.11',
    },
  ],
  exceptions: [
    {
      rule: 'vulnerability_severity',
      reason: 'not reachable from request handlers',
      expires: '2099-12-31',
      id: 'CVE-2020-8203',
      package: 'lodash',
      finding: {
        rule: 'vulnerability_severity',
        severity: 'HIGH',
        enforcement: 'deny',
        message: 'CVE-2020-8203 in lodash 4.17.15 is HIGH; fixed in 4.17.19',
        image: 'registry.example.com/shop/web:1.4.2',
        id: 'CVE-2020-8203',
        package: 'lodash',
        installed_version: '4.17.15',
        fixed_version: '4.17.19',
      },
    },
  ],
  expired_exceptions: [{ rule: 'mutable_tag', reason: 'migration to digests', expires: '2025-06-30', image: 'registry.example.com/shop/*' }],
};

export const ALLOW: Decision = { decision: 'allow', violations: [], warnings: [], exceptions: [], expired_exceptions: [] };
