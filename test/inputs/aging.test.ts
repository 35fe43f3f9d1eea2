// A stored input decided later than it was normalized: age_days counted to
// the decision's time, and the span of times for which those ages hold.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { agedTo, normalize } from '../../src/inputs/index.js';

const DAY = 86_400_000;
const UPLOAD = new Date('2026-06-01T12:00:00Z');

function stored() {
  const vulnerability = (id: string, published?: string) => ({
    VulnerabilityID: id,
    PkgName: 'openssl',
    InstalledVersion: '3.1.0-r0',
    Severity: 'HIGH',
    ...(published ? { PublishedDate: published } : {}),
  });
  const report = {
    SchemaVersion: 2,
    ArtifactName: 'registry.example.com/app:1',
    ArtifactType: 'container_image',
    Results: [
      {
        Target: 'app (alpine 3.19.0)',
        Class: 'os-pkgs',
        Type: 'alpine',
        Vulnerabilities: [
          vulnerability('CVE-2026-0001', '2026-03-13T06:00:00Z'),
          vulnerability('CVE-2026-0002'),
          vulnerability('CVE-2026-0003', '2026-06-10T00:00:00Z'),
        ],
      },
    ],
  };
  return normalize({ reports: [{ path: 'report.json', bytes: Buffer.from(JSON.stringify(report)) }], now: UPLOAD });
}

describe('agedTo', () => {
  it('counts each age to the given time, leaving undated vulnerabilities and everything else as stored', () => {
    const input = stored();
    assert.deepEqual(
      input.vulnerabilities.map((v) => v.age_days),
      [80, null, 0],
    );
    const later = agedTo(input, new Date(UPLOAD.getTime() + 20 * DAY));
    assert.deepEqual(
      later.input.vulnerabilities.map((v) => v.age_days),
      [100, null, 11],
    );
    assert.deepEqual({ ...later.input, vulnerabilities: [] }, { ...input, vulnerabilities: [] });
    assert.equal(agedTo(input, UPLOAD).input.vulnerabilities[0], input.vulnerabilities[0], 'an unchanged vulnerability is not copied');
  });

  it('says from when until when the ages hold: from the last change to the next', () => {
    const input = stored();
    const at = new Date(UPLOAD.getTime() + 20 * DAY);
    const { from, until } = agedTo(input, at);
    // CVE-2026-0001 turned 100 days old at 06:00, CVE-2026-0003 turns 12 at midnight.
    assert.equal(new Date(from).toISOString(), '2026-06-21T06:00:00.000Z');
    assert.equal(new Date(until).toISOString(), '2026-06-22T00:00:00.000Z');
    const ages = (time: number) => agedTo(input, new Date(time)).input.vulnerabilities.map((v) => v.age_days);
    assert.deepEqual(ages(from), ages(at.getTime()));
    assert.deepEqual(ages(until - 1), ages(at.getTime()));
    assert.notDeepEqual(ages(from - 1), ages(at.getTime()));
    assert.notDeepEqual(ages(until), ages(at.getTime()));
  });

  it('holds ages of 0 for every earlier time before a publication date', () => {
    const input = stored();
    const { from, until } = agedTo(input, new Date('2026-01-01T00:00:00Z'));
    assert.equal(from, -Infinity);
    assert.equal(new Date(until).toISOString(), '2026-03-14T06:00:00.000Z');
  });
});
