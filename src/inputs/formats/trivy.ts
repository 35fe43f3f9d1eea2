import { packageClass, toRfc3339 } from '../derive.js';
import { parseImageRef, parseImageRefStrict, withDigest } from '../image-ref.js';
import type { ImageRef } from '../types.js';
import type { ImageDraft, ParsedReport } from './report.js';
import { collectResults, emptyFindings, type TrivyFindings } from './trivy-results.js';
import { imageConfigDraft, numberOrNull, rec, records, text, texts, type Raw } from './values.js';

/** Trivy JSON: SchemaVersion 2 (0.19 and later) or the earlier top-level array. */
export function parseTrivy(raw: unknown): ParsedReport {
  if (raw === null || Array.isArray(raw)) return parseLegacy(raw);
  const report = rec(raw);
  const findings = emptyFindings();
  collectResults(records(report['Results']), '/Results', findings);
  const version = numberOrNull(report['SchemaVersion']);
  // The scanned artifact (an image, a folder, a repository) is a subject even when nothing was found in it.
  if (text(report['ArtifactName']) !== null) findings.targets += 1;
  return fromFindings(findings, {
    formatVersion: version === null ? null : String(version),
    scannerVersion: text(rec(report['Trivy'])['Version']),
    created: toRfc3339(report['CreatedAt']),
    image: trivyImage(report),
  });
}

function parseLegacy(raw: unknown[] | null): ParsedReport {
  const findings = emptyFindings();
  const results = records(raw);
  collectResults(results, '', findings);
  const ref = firstImageRef(osTargets(results));
  return fromFindings(findings, { formatVersion: 'legacy', scannerVersion: null, created: null, image: ref ? { ref } : {} });
}

interface ReportHeader {
  formatVersion: string | null;
  scannerVersion: string | null;
  created: string | null;
  image: ImageDraft;
}

export function fromFindings(findings: TrivyFindings, header: ReportHeader): ParsedReport {
  return {
    format: 'trivy',
    formatVersion: header.formatVersion,
    scanner: { name: 'trivy', version: header.scannerVersion },
    created: header.created,
    image: header.image,
    vulnerabilities: findings.vulnerabilities,
    misconfigurations: findings.misconfigurations,
    secrets: findings.secrets,
    packages: findings.listsPackages ? findings.packages : null,
    targets: findings.targets,
    warnings: findings.warnings.list,
  };
}

/** "name:tag (alpine 3.7.1)": how Trivy names the OS result of an image. */
const OS_TARGET = /\s\([a-z][\w.-]* [^()]+\)$/i;

/**
 * Targets of OS-package results, which name the image: Class os-pkgs, or in
 * legacy reports (no Class) an OS package type or the " (os version)" suffix.
 * Lockfiles and config files never name the image.
 */
export function osTargets(results: Raw[]): string[] {
  return results
    .filter((r) => {
      const trivyClass = text(r['Class']);
      if (trivyClass !== null) return trivyClass === 'os-pkgs';
      const type = text(r['Type']);
      return (type !== null && packageClass({ type }) === 'os') || OS_TARGET.test(text(r['Target']) ?? '');
    })
    .flatMap((r) => texts([r['Target']]));
}

export function firstImageRef(candidates: readonly (string | null)[]): ImageRef | null {
  for (const candidate of candidates) {
    const ref = parseImageRefStrict(candidate);
    if (ref) return ref;
  }
  return null;
}

// Falls back in the order a human would: the name scanned, Trivy's resolved
// reference, the tags, the digests, and last the OS result's target (which is
// all there is when an image was scanned by ID and ArtifactName is "").
function trivyImage(report: Raw): ImageDraft {
  const type = text(report['ArtifactType']);
  const metadata = rec(report['Metadata']);
  const repoTags = texts(metadata['RepoTags']);
  const repoDigests = texts(metadata['RepoDigests']);
  const isImage = type === null || type === 'container_image' || type === 'vm';
  const candidates = [report['ArtifactName'], metadata['Reference'], ...repoTags, ...repoDigests].map(text);
  const ref = isImage ? firstImageRef([...candidates, ...osTargets(records(report['Results']))]) : null;
  const os = rec(metadata['OS']);
  const configFile = rec(metadata['ImageConfig']);
  // Filesystem scans carry an all-zero ImageConfig; only a non-empty `config` describes an image.
  const hasConfig = Object.keys(rec(configFile['config'])).length > 0;
  return {
    ref: ref ? withDigest(ref, digestFor(ref, repoDigests)) : null,
    id: text(metadata['ImageID']),
    repoTags,
    repoDigests,
    osFamily: text(os['Family']),
    osName: text(os['Name']),
    eosl: typeof os['EOSL'] === 'boolean' ? os['EOSL'] : null,
    architecture: text(configFile['architecture']),
    config: hasConfig ? imageConfigDraft(configFile) : null,
    sizeBytes: numberOrNull(metadata['Size']),
  };
}

/** The repo digest of the same repository, else the only one there is. */
export function digestFor(ref: ImageRef, repoDigests: readonly string[]): string | null {
  const parsed = repoDigests.map((d) => parseImageRef(d)).filter((d): d is ImageRef => d?.digest != null);
  const same = parsed.find((d) => d.name === ref.name);
  return (same ?? (parsed.length === 1 ? parsed[0] : undefined))?.digest ?? null;
}
