import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { NormalizedInput } from '../../src/inputs/index.js';
import { FIXTURE_LIST, normalizeFixture, readFixtureJson, type Fixture } from './fixtures.js';

// The goldens are snapshots; these recount straight from the raw reports with
// nothing but JSON.parse and a few lines, so a wrong golden cannot pass unseen.

// Raw reports are read loosely on purpose: this is the independent reading.
type Json = Record<string, any>;

function fixture(name: string): Fixture {
  const found = FIXTURE_LIST.find((f) => f.name === name);
  assert.ok(found, name);
  return found;
}

function tally(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

function severities(input: NormalizedInput): Record<string, number> {
  return Object.fromEntries(Object.entries(input.summary.vulnerabilities.by_severity).filter(([, n]) => n > 0));
}

describe('normalized counts equal counts taken from the raw reports', () => {
  it('juice-shop v10.2.0 (Trivy): 236 vulnerabilities, same severities, ids and fixable set', async () => {
    const name = 'secureCodeBox__juice-shop-v10.2.0.json';
    const raw = (await readFixtureJson('reports', name)) as Json;
    const vulns: Json[] = raw['Results'].flatMap((r: Json) => r['Vulnerabilities'] ?? []);
    const input = await normalizeFixture(fixture(name));
    assert.equal(vulns.length, 236);
    assert.equal(input.vulnerabilities.length, vulns.length);
    assert.deepEqual(severities(input), tally(vulns.map((v) => v['Severity'])));
    assert.deepEqual(new Set(input.vulnerabilities.map((v) => v.id)), new Set(vulns.map((v) => v['VulnerabilityID'])));
    const fixable = vulns.filter((v) => v['Status'] === 'fixed' || (v['FixedVersion'] ?? '') !== '');
    assert.equal(input.summary.vulnerabilities.fixable, fixable.length);
    assert.equal(input.vulnerabilities.filter((v) => v.package.class === 'os').length, raw['Results'][0]['Vulnerabilities'].length);
    assert.deepEqual(input.image.exposed_ports, [3000]);
    assert.equal(input.image.user, 'juicer');
    assert.equal(input.secrets.length, 1);
  });

  it('many_vulns3 (legacy Grype 0.7): 327 matches, Negligible kept apart from Low', async () => {
    const name = 'django-DefectDojo__anchore_grype__many_vulns3.json';
    const raw = (await readFixtureJson('reports', name)) as Json;
    const matches: Json[] = raw['matches'];
    const input = await normalizeFixture(fixture(name));
    assert.equal(input.vulnerabilities.length, 327);
    assert.deepEqual(severities(input), tally(matches.map((m) => String(m['vulnerability']['severity']).toUpperCase())));
    assert.deepEqual(tally(input.vulnerabilities.map((v) => v.package.class)), tally(matches.map((m) => (m['artifact']['type'] === 'deb' ? 'os' : 'library'))));
    const fixedIn = matches.filter((m) => typeof m['vulnerability']['fixedInVersion'] === 'string' && m['vulnerability']['fixedInVersion'] !== '');
    assert.equal(fixedIn.length, 28);
    assert.equal(input.summary.vulnerabilities.fixable, fixedIn.length, 'legacy Grype names its one fix in vulnerability.fixedInVersion');
  });

  it('issue_9618 (Grype): fix states map onto statuses and the null severity is UNKNOWN', async () => {
    const name = 'django-DefectDojo__anchore_grype__issue_9618.json';
    const raw = (await readFixtureJson('reports', name)) as Json;
    const matches: Json[] = raw['matches'];
    const input = await normalizeFixture(fixture(name));
    const states = tally(matches.map((m) => m['vulnerability']['fix']['state']));
    assert.deepEqual(tally(input.vulnerabilities.map((v) => v.status)), {
      fixed: states['fixed'],
      affected: states['not-fixed'],
      will_not_fix: states['wont-fix'],
    });
    assert.equal(input.summary.vulnerabilities.by_severity.UNKNOWN, matches.filter((m) => !m['vulnerability']['severity']).length);
    assert.equal(input.image.user, '1001');
  });

  it('check_all_fields (Grype): the duplicated Django match is counted once', async () => {
    const name = 'django-DefectDojo__anchore_grype__check_all_fields.json';
    const raw = (await readFixtureJson('reports', name)) as Json;
    const keys = new Set(raw['matches'].map((m: Json) => `${m['vulnerability']['id']} ${m['artifact']['name']} ${m['artifact']['version']}`));
    const input = await normalizeFixture(fixture(name));
    assert.equal(raw['matches'].length, 6);
    assert.equal(input.vulnerabilities.length, keys.size);
    const redis = input.vulnerabilities.find((v) => v.package.name === 'redis');
    assert.equal(redis?.status, 'will_not_fix');
    assert.equal(redis?.fix_available, false, 'a vendor "wont-fix" outweighs the listed versions');
  });

  it('all_statuses (Trivy): every status survives, and only `fixed` is fixable', async () => {
    const name = 'django-DefectDojo__trivy__all_statuses.json';
    const raw = (await readFixtureJson('reports', name)) as Json;
    const vulns: Json[] = raw['Results'].flatMap((r: Json) => r['Vulnerabilities'] ?? []);
    const input = await normalizeFixture(fixture(name));
    assert.deepEqual(
      input.vulnerabilities.map((v) => v.status),
      vulns.map((v) => v['Status']),
    );
    assert.deepEqual(
      input.vulnerabilities.filter((v) => v.fix_available).map((v) => v.status),
      ['fixed'],
    );
    assert.equal(input.vulnerabilities.find((v) => v.id === 'TEMP-0841856-B18BAF')?.age_days, null);
  });

  it('issue_9333 (Trivy): an image scanned by ID is named from the result target', async () => {
    const input = await normalizeFixture(fixture('django-DefectDojo__trivy__issue_9333.json'));
    assert.equal(input.image.ref, 'noppaknopsta/example-app:main-159');
    assert.equal(input.image.digest, null);
    assert.equal(input.image.runs_as_root, true);
    assert.equal(input.vulnerabilities.length, 13);
  });

  it('Trivy Operator: the workload and the digest come from the CRD', async () => {
    const name = 'django-DefectDojo__trivy_operator__vulnerabilityreport_extended.json';
    const raw = (await readFixtureJson('reports', name)) as Json;
    const input = await normalizeFixture(fixture(name));
    assert.equal(input.vulnerabilities.length, raw['report']['vulnerabilities'].length);
    assert.equal(input.summary.vulnerabilities.by_severity.MEDIUM, raw['report']['summary']['mediumCount']);
    assert.equal(input.image.digest, raw['report']['artifact']['digest']);
    assert.deepEqual(input.vulnerabilities[0]?.resource, { kind: 'Pod', namespace: 'lbc', name: 'ubuntu' });
  });

  it('the Trivy SARIF and JSON goldens of alpine-310 yield the same findings', async () => {
    const json = await normalizeFixture(fixture('trivy__alpine-310.json.golden'));
    const sarif = await normalizeFixture(fixture('trivy__alpine-310.sarif.golden'));
    const key = (i: NormalizedInput): string[] =>
      i.vulnerabilities.map((v) => `${v.id} ${v.package.name} ${v.installed_version} ${v.fixed_version} ${v.severity}`).sort();
    assert.deepEqual(key(sarif), key(json));
    assert.equal(sarif.image.name, json.image.name);
  });

  it('the Dockerfile check IDs of old and new Trivy match each other', async () => {
    const old = await normalizeFixture(fixture('django-DefectDojo__trivy__misconfigurations_and_secrets.json'));
    const current = await normalizeFixture(fixture('trivy__dockerfile.json.golden'));
    assert.equal(old.misconfigurations[0]?.id, 'DS002');
    assert.ok(old.misconfigurations[0]?.aliases.includes('DS-0002'));
    assert.equal(current.misconfigurations[0]?.id, 'DS-0002');
    assert.ok(current.misconfigurations[0]?.aliases.includes('DS002'));
  });

  it("the conftest example Dockerfile yields what conftest's acceptance tests expect", async () => {
    const input = await normalizeFixture(fixture('conftest__examples-docker__Dockerfile'));
    assert.equal(input.dockerfile?.stages[0]?.from, 'openjdk:8-jdk-alpine');
    assert.deepEqual(
      input.dockerfile?.runs.map((r) => r.command),
      ['apk add --no-cache python3 python3-dev build-base && pip3 install awscli==1.18.1'],
    );
    assert.equal(input.dockerfile?.runs_as_root, true, 'no USER');
    assert.equal(input.dockerfile?.runs[0]?.line, 11);
  });

  it('admission fixtures: every container and init container of the raw object is listed', async () => {
    for (const name of ['generic-sidecar-injector__admissionreview.json', 'pod-privileged-policy__no_privileged_containers.json']) {
      const raw = (await readFixtureJson('admission', name)) as Json;
      const request = raw['request'] ?? raw;
      const spec = request['object']['spec'];
      const images = [...spec['containers'], ...(spec['initContainers'] ?? [])].map((c: Json) => c['image']);
      const input = await normalizeFixture(fixture(name));
      assert.deepEqual(
        input.workloads.flatMap((w) => w.containers.map((c) => c.image)),
        images,
      );
      assert.equal(input.workloads[0]?.namespace, request['namespace']);
    }
  });
});
