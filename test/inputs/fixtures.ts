import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { normalizeFiles, type NormalizedInput, type ReportFormat } from '../../src/inputs/index.js';
import { REAL_FIXTURES } from '../helpers/fixtures.js';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIXTURES = REAL_FIXTURES.replace(/\/$/, '');
export const GOLDEN_INPUTS = join(REPO_ROOT, 'test', 'golden', 'inputs');
/** Every golden is computed at this instant, so CVE ages are stable. */
export const GOLDEN_NOW = '2026-01-01T00:00:00Z';

export type FixtureKind = 'reports' | 'dockerfiles' | 'admission';

export interface Fixture {
  readonly kind: FixtureKind;
  readonly name: string;
  /** The format detection must pick, for reports. */
  readonly format?: ReportFormat;
}

export const FIXTURE_LIST: readonly Fixture[] = [
  { kind: 'reports', name: 'django-DefectDojo__anchore_grype__check_all_fields.json', format: 'grype' },
  { kind: 'reports', name: 'django-DefectDojo__anchore_grype__issue_9618.json', format: 'grype' },
  { kind: 'reports', name: 'django-DefectDojo__anchore_grype__many_vulns3.json', format: 'grype' },
  { kind: 'reports', name: 'django-DefectDojo__anchore_grype__no_vuln.json', format: 'grype' },
  { kind: 'reports', name: 'django-DefectDojo__trivy__all_statuses.json', format: 'trivy' },
  { kind: 'reports', name: 'django-DefectDojo__trivy__issue_9333.json', format: 'trivy' },
  { kind: 'reports', name: 'django-DefectDojo__trivy__misconfigurations_and_secrets.json', format: 'trivy' },
  { kind: 'reports', name: 'django-DefectDojo__trivy__scheme_2_no_vuln.json', format: 'trivy' },
  { kind: 'reports', name: 'django-DefectDojo__trivy_operator__vulnerabilityreport_extended.json', format: 'trivy-operator' },
  { kind: 'reports', name: 'secureCodeBox__juice-shop-v10.2.0.json', format: 'trivy' },
  { kind: 'reports', name: 'secureCodeBox__juice-shop-v12.10.2-empty-results.json', format: 'trivy' },
  { kind: 'reports', name: 'secureCodeBox__k8s-results_unexpected-attribute.json', format: 'trivy-k8s' },
  { kind: 'reports', name: 'trivy__alpine-310.json.golden', format: 'trivy' },
  { kind: 'reports', name: 'trivy__alpine-310.sarif.golden', format: 'sarif' },
  { kind: 'reports', name: 'trivy__dockerfile.json.golden', format: 'trivy' },
  { kind: 'dockerfiles', name: 'conftest__examples-docker__Dockerfile' },
  { kind: 'dockerfiles', name: 'trivy__integration-fixtures-repo-dockerfile__Dockerfile' },
  { kind: 'admission', name: 'generic-sidecar-injector__admissionreview.json' },
  { kind: 'admission', name: 'pod-privileged-policy__no_privileged_containers.json' },
];

export function fixturePath(fixture: Fixture): string {
  return join(FIXTURES, fixture.kind, fixture.name);
}

export async function readFixtureJson(kind: FixtureKind, name: string): Promise<unknown> {
  return JSON.parse(await readFile(join(FIXTURES, kind, name), 'utf8')) as unknown;
}

/** Normalizes one fixture as the CLI would: reports as --report, Dockerfiles as --dockerfile, admission as --manifest. */
export function normalizeFixture(fixture: Fixture, now = GOLDEN_NOW): Promise<NormalizedInput> {
  const path = fixturePath(fixture);
  if (fixture.kind === 'reports') return normalizeFiles({ reports: [{ path }], now });
  if (fixture.kind === 'dockerfiles') return normalizeFiles({ dockerfile: path, now });
  return normalizeFiles({ manifest: path, now });
}

/** Paths are kept relative to the fixtures folder, so goldens do not depend on where the clone lives. */
function relative(text: string | null): string | null {
  return text === null ? null : text.startsWith(FIXTURES) ? text.slice(FIXTURES.length + 1) : text;
}

/** The hand-checkable summary pinned under test/golden/inputs/. */
export function goldenSummary(fixture: Fixture, input: NormalizedInput): Record<string, unknown> {
  const v = input.vulnerabilities;
  const count = (key: (x: (typeof v)[number]) => string): Record<string, number> =>
    Object.fromEntries([...v.reduce((m, x) => m.set(key(x), (m.get(key(x)) ?? 0) + 1), new Map<string, number>())].sort());
  return {
    fixture: `${fixture.kind}/${fixture.name}`,
    now: input.now,
    reports: input.reports.map((r) => ({ ...r, file: relative(r.file) })),
    image: input.image,
    vulnerabilities: {
      summary: input.summary.vulnerabilities,
      by_class: count((x) => x.package.class),
      by_status: count((x) => x.status),
      ids: [...new Set(v.map((x) => x.id))].sort(),
      first: v.slice(0, 2),
    },
    misconfigurations: input.misconfigurations,
    secrets: input.secrets.map((s) => ({ ...s, match: s.match === null ? null : s.match.slice(0, 40) })),
    packages: input.packages.length,
    dockerfile: input.dockerfile && { ...input.dockerfile, path: relative(input.dockerfile.path) },
    workloads: input.workloads.map((w) => ({ ...w, file: relative(w.file), annotations: Object.keys(w.annotations).sort() })),
    metadata: input.metadata,
  };
}

export function goldenPath(fixture: Fixture): string {
  return join(GOLDEN_INPUTS, `${fixture.kind}__${fixture.name.replace(/\.(json|golden)$/g, '')}.json`);
}
