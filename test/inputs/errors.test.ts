import { strict as assert } from 'node:assert';
import { mkdtemp, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { exitCodeFor, type AppError } from '../../src/core/index.js';
import { DEFAULT_INPUT_LIMITS, normalize, normalizeFiles, REPORT_FORMATS } from '../../src/inputs/index.js';
import { bytes, NOW, reportFile } from './synthetic.js';

/** Runs `fn`, expecting an AppError with `code` whose message matches every pattern and carries no stack. */
function expectError(fn: () => unknown, code: string, ...patterns: RegExp[]): AppError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  const err = caught as AppError;
  assert.ok(err, 'expected an error');
  assert.equal(err.code, code, err.message);
  for (const pattern of patterns) assert.match(err.message, pattern);
  assert.doesNotMatch(err.message, /\n\s+at /, 'no stack trace in the message');
  assert.equal(exitCodeFor(err.code), code === 'FILE_NOT_FOUND' || code.startsWith('INPUT') || code === 'USAGE' ? 2 : 3);
  return err;
}

function report(text: string, path = 'scan.json', format?: string): () => unknown {
  return () => normalize({ reports: [reportFile(text, path, format)], now: NOW });
}

describe('bad report input', () => {
  it('malformed JSON: names the file, line and column', () => {
    const err = expectError(
      report('{\n  "SchemaVersion": 2,\n  "Results": [\n    {"Target": "x",}\n  ]\n}', 'broken.json'),
      'INPUT_INVALID',
      /^broken\.json: invalid JSON at line 4, column 20/,
    );
    assert.deepEqual({ file: err.details[0]?.file, line: err.details[0]?.line }, { file: 'broken.json', line: 4 });
  });

  it('malformed YAML: names the file and line', () => {
    expectError(
      report('apiVersion: aquasecurity.github.io/v1alpha1\nkind: VulnerabilityReport\nreport: [unclosed\n', 'vuln.yaml'),
      'INPUT_INVALID',
      /^vuln\.yaml: invalid YAML at line \d+/,
    );
  });

  it('wrong types: names the file and each JSON path', () => {
    const doc = {
      SchemaVersion: 2,
      Results: [{ Target: 't', Vulnerabilities: [{ VulnerabilityID: 'CVE-1', PkgName: 'a', Severity: 3 }, { VulnerabilityID: ['x'] }] }],
    };
    const err = expectError(
      report(JSON.stringify(doc), 'typed.json'),
      'INPUT_INVALID',
      /typed\.json \(as trivy\) is invalid/,
      /\/Results\/0\/Vulnerabilities\/0\/Severity: must be string,null/,
      /\/Results\/0\/Vulnerabilities\/1\/VulnerabilityID: must be string,null/,
    );
    assert.deepEqual(
      err.details.map((d) => d.path),
      ['/Results/0/Vulnerabilities/0/Severity', '/Results/0/Vulnerabilities/1/VulnerabilityID'],
    );
  });

  it('oversized: refused before parsing', () => {
    const big = JSON.stringify({ SchemaVersion: 2, Results: [], pad: 'x'.repeat(2000) });
    expectError(
      () => normalize({ reports: [reportFile(big, 'big.json')], now: NOW, limits: { maxBytes: 1024 } }),
      'INPUT_TOO_LARGE',
      /^big\.json: \d+ bytes exceeds the limit of 1024 bytes/,
    );
    assert.equal(DEFAULT_INPUT_LIMITS.maxBytes, 64 * 1024 * 1024);
  });

  it('oversized file: refused from its size under the default limit, before it is read', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'portcullis-big-')), 'big.json');
    // Sparse: no disk used; read, its NUL bytes would be INPUT_INVALID instead.
    await writeFile(path, '');
    await truncate(path, DEFAULT_INPUT_LIMITS.maxBytes + 1);
    await assert.rejects(normalizeFiles({ reports: [{ path }], now: NOW }), (err: AppError) => {
      assert.equal(err.code, 'INPUT_TOO_LARGE');
      assert.match(
        err.message,
        new RegExp(`big\\.json: ${DEFAULT_INPUT_LIMITS.maxBytes + 1} bytes exceeds the limit of ${DEFAULT_INPUT_LIMITS.maxBytes} bytes`),
      );
      return true;
    });
  });

  it('too deep: names the JSON path where the limit was reached', () => {
    const deep = `{"SchemaVersion":2,"Results":[{"Target":"t","Custom":${'['.repeat(200)}${']'.repeat(200)}}]}`;
    expectError(report(deep, 'deep.json'), 'INPUT_TOO_LARGE', /^deep\.json: nesting deeper than 128 levels at \/Results\/0\/Custom(\/0)+/);
  });

  it('too deep, given parsed: walked unless what held it bounds its nesting within the limit', () => {
    const document = JSON.parse(`{"SchemaVersion":2,"Results":[{"Target":"t","Custom":${'['.repeat(200)}${']'.repeat(200)}}]}`) as unknown;
    const parsed = (nestedAtMost?: number) => () =>
      normalize({ reports: [{ path: 'deep.json', document, ...(nestedAtMost === undefined ? {} : { nestedAtMost }) }], now: NOW });
    expectError(parsed(), 'INPUT_TOO_LARGE', /^deep\.json: nesting deeper than 128 levels at \/Results\/0\/Custom(\/0)+/);
    expectError(parsed(129), 'INPUT_TOO_LARGE', /^deep\.json: nesting deeper than 128 levels/);
    // A bound within the limit is trusted (an HTTP body checked to it): the document is not walked again.
    assert.equal(parsed(126)().vulnerabilities.length, 0);
  });

  it('unknown format: lists the supported ones', () => {
    expectError(
      report('{"hello": "world"}', 'mystery.json'),
      'INPUT_INVALID',
      /^mystery\.json: unrecognised report format; supported formats: trivy, trivy-k8s, trivy-operator, grype, cyclonedx, sarif/,
    );
    expectError(report('{"kind":"AdmissionReview","request":{}}', 'review.json'), 'INPUT_INVALID', /it is a Kubernetes AdmissionReview; pass it as a manifest/);
    assert.deepEqual([...REPORT_FORMATS], ['trivy', 'trivy-k8s', 'trivy-operator', 'grype', 'cyclonedx', 'sarif']);
  });

  it('unknown --format name: a usage error listing the formats', () => {
    expectError(report('{}', 'a.json', 'snyk'), 'USAGE', /unknown report format "snyk"; supported formats: trivy, /);
  });

  it('a format override that does not fit: names the file and the forced format', () => {
    expectError(
      report('{"matches": "nope"}', 'grype.json', 'grype'),
      'INPUT_INVALID',
      /grype\.json \(as grype\) is invalid:\n {2}\/matches: must be array,null/,
    );
    expectError(
      report('{"SchemaVersion": 2}', 'trivy.json', 'grype'),
      'INPUT_INVALID',
      /trivy\.json \(as grype\) is invalid:\n {2}\/: must have required property 'matches'/,
    );
  });

  it('text that is not UTF-8, and several YAML documents where one is expected', () => {
    expectError(
      () => normalize({ reports: [{ path: 'bin.json', bytes: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) }], now: NOW }),
      'INPUT_INVALID',
      /^bin\.json: not valid UTF-8/,
    );
    expectError(report('a: 1\n---\nb: 2\n', 'two.yaml'), 'INPUT_INVALID', /^two\.yaml: expected one document, found 2/);
  });

  it('a bad "now" is a usage error', () => {
    expectError(() => normalize({ now: 'yesterday' }), 'USAGE', /"now" must be an RFC 3339 date-time/);
    expectError(() => normalize({ now: '2026-01-01' }), 'USAGE', /RFC 3339/);
  });
});

describe('bad cluster metadata', () => {
  it('names the file and the offending field', () => {
    const metadata = { path: 'meta.yaml', bytes: bytes('namespace: prod\nenvironment: 3\nlabels: {team: [a]}\nzone: x\n') };
    const err = expectError(
      () => normalize({ metadata, now: NOW }),
      'INPUT_INVALID',
      /^meta\.yaml is invalid:/,
      /\/environment: must be string/,
      /\/labels\/team: must be string/,
      /: must NOT have additional properties 'zone'/,
    );
    assert.ok(err.details.every((d) => d.file === 'meta.yaml'));
  });

  it('accepts YAML and JSON', () => {
    const yaml = normalize({
      metadata: { path: 'm.yaml', bytes: bytes('namespace: shop\nenvironment: prod\ncluster: eu-1\nnamespace_labels: {tier: "1"}\n') },
      now: NOW,
    });
    assert.deepEqual(yaml.metadata, { namespace: 'shop', namespace_labels: { tier: '1' }, environment: 'prod', cluster: 'eu-1', labels: {} });
    const json = normalize({ metadata: { path: 'm.json', bytes: bytes('{"environment": "dev"}') }, now: NOW });
    assert.equal(json.metadata.environment, 'dev');
  });
});

describe('files on disk', () => {
  it('a missing file is FILE_NOT_FOUND naming it; an oversized one is refused before reading', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portcullis-inputs-'));
    await assert.rejects(
      normalizeFiles({ reports: [{ path: join(dir, 'nope.json') }], now: NOW }),
      (err: AppError) => err.code === 'FILE_NOT_FOUND' && err.message.includes('nope.json'),
    );
    await writeFile(join(dir, 'big.json'), 'x'.repeat(100));
    await assert.rejects(
      normalizeFiles({ reports: [{ path: join(dir, 'big.json') }], now: NOW, limits: { maxBytes: 10 } }),
      (err: AppError) => err.code === 'INPUT_TOO_LARGE',
    );
    await assert.rejects(normalizeFiles({ dockerfile: dir, now: NOW }), (err: AppError) => err.code === 'INPUT_INVALID' && err.message.startsWith(dir));
  });
});

describe('hostile YAML', () => {
  it('runaway flow nesting and alias bombs are size errors, not crashes', () => {
    expectError(report(`a: ${'['.repeat(5000)}${']'.repeat(5000)}`, 'deep.yaml'), 'INPUT_TOO_LARGE', /^deep\.yaml: invalid YAML/);
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      ...Array.from({ length: 8 }, (_, i) => `${'bcdefghi'[i]}: &${'bcdefghi'[i]} [${Array(10).fill(`*${'abcdefgh'[i]}`).join(', ')}]`),
    ].join('\n');
    expectError(report(bomb, 'bomb.yaml'), 'INPUT_TOO_LARGE', /^bomb\.yaml: invalid YAML/);
  });
});
