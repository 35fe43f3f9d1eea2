import { toRfc3339 } from '../derive.js';
import type { VulnerabilityDraft } from '../finding.js';
import type { ReportWarning } from '../types.js';
import { emptyReport, type ImageDraft, type ParsedReport } from './report.js';
import { digestFor, firstImageRef } from './trivy.js';
import { imageConfigDraft, numberOrNull, rec, records, stringMap, text, texts, type Raw } from './values.js';

/** Grype JSON, current (`fix`, `matchDetails[]`) and legacy 0.7 (no `fix`, `matchDetails` object). */
export function parseGrype(raw: unknown): ParsedReport {
  const report = rec(raw);
  const matches = records(report['matches']);
  const descriptor = rec(report['descriptor']);
  const warnings: ReportWarning[] = [];
  const vulnerabilities: VulnerabilityDraft[] = [];
  matches.forEach((m, i) => {
    const draft = matchDraft(m);
    if (draft) vulnerabilities.push(draft);
    else warnings.push({ code: 'VULNERABILITY_WITHOUT_ID', message: 'skipped a match without a vulnerability ID', path: `/matches/${i}` });
  });
  return {
    ...emptyReport('grype', 'grype'),
    formatVersion: isLegacy(matches) ? 'legacy' : matches.length > 0 ? 'current' : null,
    scanner: { name: text(descriptor['name']) ?? 'grype', version: text(descriptor['version']) },
    created: toRfc3339(descriptor['timestamp']),
    image: grypeImage(report, warnings),
    vulnerabilities,
    warnings,
  };
}

function isLegacy(matches: Raw[]): boolean {
  return matches.some((m) => m['matchDetails'] !== undefined && !Array.isArray(m['matchDetails']));
}

function matchDraft(m: Raw): VulnerabilityDraft | null {
  const v = rec(m['vulnerability']);
  const artifact = rec(m['artifact']);
  const id = text(v['id']);
  const name = text(artifact['name']);
  if (id === null || name === null) return null;
  const fix = rec(v['fix']);
  const related = records(m['relatedVulnerabilities']);
  const fixedVersions = texts(fix['versions']);
  return {
    id,
    aliases: related.map((r) => text(r['id'])).filter((a): a is string => a !== null),
    title: null,
    packageName: name,
    installedVersion: text(artifact['version']) ?? '',
    packageType: text(artifact['type']),
    purl: text(artifact['purl']),
    path: text(records(artifact['locations'])[0]?.['path']),
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
  return scored[0]?.score ?? numberOrNull(rec(v['cvssV3'])['baseScore']) ?? numberOrNull(rec(v['cvssV2'])['baseScore']);
}

function grypeImage(report: Raw, warnings: ReportWarning[]): ImageDraft {
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
function decodeConfig(encoded: string | null, warnings: ReportWarning[]): Raw | null {
  if (encoded === null) return null;
  try {
    return rec(JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')));
  } catch {
    warnings.push({ code: 'IMAGE_CONFIG_UNREADABLE', message: 'source.target.config is not base64-encoded JSON', path: '/source/target/config' });
    return null;
  }
}
