import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decisionFindings, fingerprintOf, planFindings, withHash } from '../../src/inventory/index.js';
import { normalize } from '../../src/inputs/index.js';
import type { Decision, Finding } from '../../src/report/index.js';
import type { CurrentFinding, FindingContent } from '../../src/store/index.js';

const vuln = (over: Partial<Finding> = {}): Finding => ({
  rule: 'vulnerability_severity',
  message: 'CVE-2024-1 (HIGH) in os package openssl 3.0.0, fixed in 3.0.9: at or above the HIGH threshold',
  severity: 'HIGH',
  enforcement: 'deny',
  id: 'CVE-2024-1',
  package: 'openssl',
  installed_version: '3.0.0',
  fixed_version: '3.0.9',
  ...over,
});

function content(fp: string, over: Partial<Omit<FindingContent, 'contentHash' | 'fingerprint'>> = {}): FindingContent {
  return withHash({
    fingerprint: fp,
    rule: 'vulnerability_severity',
    enforcement: 'deny',
    state: 'open',
    severity: 'HIGH',
    severityRank: 4,
    vulnId: fp,
    package: 'p',
    installedVersion: '1',
    fixedVersion: '2',
    fixable: true,
    published: null,
    score: null,
    title: '',
    message: fp,
    exception: null,
    ...over,
  });
}

const current = (f: FindingContent, id: number): CurrentFinding => ({ id, ...f });

describe('finding identity and planning', () => {
  it('identifies a vulnerability finding by rule, id, package and version, not by its message', () => {
    assert.equal(fingerprintOf(vuln()), fingerprintOf(vuln({ message: 'at or above the MEDIUM threshold (environment prod)' })));
    assert.notEqual(fingerprintOf(vuln()), fingerprintOf(vuln({ installed_version: '3.0.1' })));
    assert.notEqual(fingerprintOf(vuln()), fingerprintOf(vuln({ rule: 'vulnerability_age' })));
    const port = { rule: 'forbidden_port', message: "image 'x' exposes forbidden port 22" };
    assert.notEqual(fingerprintOf(port), fingerprintOf({ ...port, message: "image 'x' exposes forbidden port 23" }));
  });

  it('turns a decision into open and excepted findings with the scanner facts the decision does not repeat', () => {
    const report = JSON.stringify({
      SchemaVersion: 2,
      ArtifactName: 'registry.example.com/app:1',
      Results: [
        {
          Target: 'x',
          Class: 'os-pkgs',
          Type: 'alpine',
          Vulnerabilities: [
            {
              VulnerabilityID: 'CVE-2024-1',
              PkgName: 'openssl',
              InstalledVersion: '3.0.0',
              FixedVersion: '3.0.9',
              Severity: 'HIGH',
              PublishedDate: '2024-01-01T00:00:00Z',
              CVSS: { nvd: { V3Score: 7.5 } },
            },
          ],
        },
      ],
    });
    const input = normalize({ reports: [{ path: 'r.json', bytes: Buffer.from(report) }], now: '2024-03-01T00:00:00Z' });
    const decision: Decision = {
      decision: 'deny',
      violations: [vuln()],
      warnings: [vuln()],
      exceptions: [{ rule: '*', reason: 'accepted', expires: '2024-12-31', finding: vuln({ id: 'CVE-2024-2', rule: 'vulnerability_age' }) }],
      expired_exceptions: [],
    };
    const [open, excepted, ...rest] = decisionFindings(decision, input);
    assert.equal(rest.length, 0, 'the same fingerprint is kept once');
    assert.equal(open?.state, 'open');
    assert.equal(open?.published, Date.parse('2024-01-01T00:00:00Z'));
    assert.equal(open?.fixable, true);
    assert.equal(open?.score, 7.5);
    assert.equal(excepted?.state, 'excepted');
    assert.deepEqual(excepted?.exception, { reason: 'accepted', expires: '2024-12-31' });
  });

  it('upserts new findings, updates changed ones, resolves missing ones, and announces deny-level changes', () => {
    const a = content('a');
    const b = content('b', { enforcement: 'warn' });
    const c = content('c');
    const d = content('d', { state: 'excepted' });
    const plan = planFindings(
      [current(a, 1), current(b, 2), current(c, 3), current(d, 4)],
      [a, { ...content('b'), fingerprint: 'b' }, content('d'), content('e')],
    );
    assert.deepEqual(
      plan.upserts.map((f) => f.fingerprint),
      ['e'],
    );
    assert.deepEqual(
      plan.updates.map((f) => [f.fingerprint, f.id]),
      [
        ['b', 2],
        ['d', 4],
      ],
    );
    assert.deepEqual(
      plan.resolves.map((f) => f.id),
      [3],
    );
    assert.deepEqual(plan.opened.map((f) => f.fingerprint).sort(), ['b', 'd', 'e'], 'warn to deny and excepted to open count as opened');
    assert.deepEqual(
      plan.resolved.map((f) => [f.fingerprint, f.reason]),
      [['c', 'resolved']],
    );
    const downgraded = planFindings([current(a, 1)], [content('a', { enforcement: 'warn' })]);
    assert.deepEqual(
      downgraded.resolved.map((f) => f.reason),
      ['downgraded'],
    );
    const unchanged = planFindings([current(a, 1)], [a]);
    assert.deepEqual(unchanged, { upserts: [], updates: [], resolves: [], opened: [], resolved: [] });
  });
});
