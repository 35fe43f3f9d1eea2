import { toRfc3339 } from '../derive.js';
import type { VulnerabilityDraft } from '../finding.js';
import { emptyReport, type ImageDraft, type ParsedReport } from './report.js';
import { digestFor, firstImageRef } from './trivy.js';
import { imageConfigDraft, list, numberOrNull, rec, records, stringMap, text, texts, type Raw } from './values.js';
import { Warnings } from './warnings.js';

/**
 * Grype JSON (grype/presenter/models), current (`fix {versions, state}`,
 * `matchDetails[]`) and legacy, up to about 0.12: no `fix`, the one fixed
 * version in `vulnerability.fixedInVersion` (`fixed-in-version` earliest),
 * `cvssV2`/`cvssV3` objects, `matchDetails` an object.
 */
export function parseGrype(raw: unknown): ParsedReport {
  const report = rec(raw);
  const matches = records(report['matches']);
  const descriptor = rec(report['descriptor']);
  const warnings = new Warnings();
  const vulnerabilities: VulnerabilityDraft[] = [];
  matches.forEach((m, i) => {
    const where = `/matches/${i}`;
    const draft = matchDraft(m);
    if (!draft) {
      warnings.add('VULNERABILITY_WITHOUT_ID', 'skipped a match without a vulnerability ID or package name', where);
      return;
    }
    const v = rec(m['vulnerability']);
    warnings.severity(v['severity'], `${where}/vulnerability/severity`);
    warnings.status(rec(v['fix'])['state'], `${where}/vulnerability/fix/state`);
    vulnerabilities.push(draft);
  });
  const image = grypeImage(report, warnings);
  return {
    ...emptyReport('grype', 'grype'),
    formatVersion: isLegacy(matches) ? 'legacy' : matches.length > 0 ? 'current' : null,
    scanner: { name: text(descriptor['name']) ?? 'grype', version: text(descriptor['version']) },
    created: toRfc3339(descriptor['timestamp']),
    image,
    vulnerabilities,
    targets: text(rec(report['source'])['type']) === null ? 0 : 1,
    warnings: warnings.list,
  };
}

function isLegacy(matches: Raw[]): boolean {
  return matches.some((m) => (m['matchDetails'] !== undefined && !Array.isArray(m['matchDetails'])) || legacyFix(rec(m['vulnerability'])) !== null);
}

function legacyFix(v: Raw): string | null {
  return text(v['fixedInVersion']) ?? text(v['fixed-in-version']);
}

/** A location is `{path, layerID}`; the oldest syft wrote the path alone. */
function firstLocation(artifact: Raw): string | null {
  const first = list(artifact['locations'])[0];
  return typeof first === 'string' ? text(first) : text(rec(first)['path']);
}

function matchDraft(m: Raw): VulnerabilityDraft | null {
  const v = rec(m['vulnerability']);
  const artifact = rec(m['artifact']);
  const id = text(v['id']);
  const name = text(artifact['name']);
  if (id === null || name === null) return null;
  const fix = rec(v['fix']);
  const related = records(m['relatedVulnerabilities']);
  const legacy = legacyFix(v);
  const fixedVersions = legacy === null ? texts(fix['versions']) : [legacy];
  return {
    id,
    aliases: related.map((r) => text(r['id'])).filter((a): a is string => a !== null),
    title: null,
    packageName: name,
    installedVersion: text(artifact['version']) ?? '',
    packageType: text(artifact['type']),
    purl: text(artifact['purl']),
    path: firstLocation(artifact),
    fixedVersions,
    severity: v['severity'],
    status: fix['state'],
    published: null,
    cvssScore: cvssScore(v) ?? related.map(cvssScore).find((s) => s !== null) ?? null,
    dataSource: text(v['namespace']),
    primaryUrl: text(v['dataSource']) ?? texts(v['urls'])[0] ?? texts(v['links'])[0] ?? null,
    target: null,
  };
}

/** The base score of the newest CVSS version listed (legacy files have cvssV3/cvssV2 objects). */
function cvssScore(v: Raw): number | null {
  const scored = records(v['cvss'])
    .map((c) => ({ version: Number.parseFloat(text(c['version']) ?? '0'), score: numberOrNull(rec(c['metrics'])['baseScore']) }))
    .filter((c): c is { version: number; score: number } => c.score !== null)
    .sort((a, b) => b.version - a.version);
  const legacy = ['cvssV3', 'cvss-v3', 'cvssV2', 'cvss-v2'].map((key) => rec(v[key])).map((c) => numberOrNull(c['baseScore']) ?? numberOrNull(c['base-score']));
  return scored[0]?.score ?? legacy.find((s) => s !== null) ?? null;
}

function grypeImage(report: Raw, warnings: Warnings): ImageDraft {
  const source = rec(report['source']);
  const distro = rec(report['distro']);
  const os = { osFamily: text(distro['name']), osName: text(distro['version']) };
  if (text(source['type']) !== 'image') return os;
  const target = rec(source['target']);
  const repoTags = texts(target['tags']);
  const repoDigests = texts(target['repoDigests']);
  const ref = firstImageRef([text(target['userInput']), ...repoTags, ...repoDigests]);
  const config = decodeConfig(text(target['config']), warnings);
  const labels = stringMap(target['labels']);
  return {
    ...os,
    ref: ref ? { ...ref, digest: ref.digest ?? digestFor(ref, repoDigests) ?? text(target['manifestDigest']) } : null,
    id: text(target['imageID']),
    repoTags,
    repoDigests,
    architecture: text(target['architecture']),
    sizeBytes: numberOrNull(target['imageSize']),
    config: config ? imageConfigDraft(config) : Object.keys(labels).length > 0 ? { user: null, exposedPorts: [], env: [], labels, created: null } : null,
  };
}

/** Syft stores the image config file base64-encoded; a broken one only costs the config facts. */
function decodeConfig(encoded: string | null, warnings: Warnings): Raw | null {
  if (encoded === null) return null;
  try {
    return rec(JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')));
  } catch {
    warnings.add('IMAGE_CONFIG_UNREADABLE', 'source.target.config is not base64-encoded JSON', '/source/target/config');
    return null;
  }
}
