import { normalizeSeverity, packageClass, SEVERITY_RANK, toRfc3339 } from '../derive.js';
import type { VulnerabilityDraft } from '../finding.js';
import type { PackageFacts } from '../types.js';
import { cyclonedxImage } from './cyclonedx-image.js';
import { emptyReport, type ParsedReport } from './report.js';
import { list, numberOrNull, property, rec, records, text, texts, type Raw } from './values.js';
import { Warnings } from './warnings.js';

/**
 * CycloneDX 1.4 to 1.7 with a `vulnerabilities` section, as Trivy and Grype
 * write it (XML documents arrive here converted to the JSON shape, see
 * cyclonedx-xml.ts). A VEX `analysis.state` decides whether a vulnerability
 * applies; `recommendation` is free text and never read as a version.
 */
export function parseCycloneDx(raw: unknown): ParsedReport {
  const bom = rec(raw);
  const metadata = rec(bom['metadata']);
  const components = flattenComponents(records(bom['components']));
  const byRef = new Map(components.map((c) => [text(c['bom-ref']) ?? text(c['purl']) ?? '', c]));
  const warnings = new Warnings();
  const vulnerabilities = records(bom['vulnerabilities']).flatMap((v, i) => vulnerabilityDrafts(v, byRef, `/vulnerabilities/${i}`, warnings));
  const tool = firstTool(metadata['tools']);
  const subject = rec(metadata['component']);
  const packages = components.map(packageOf).filter((p): p is PackageFacts => p !== null);
  return {
    ...emptyReport('cyclonedx', tool.name),
    formatVersion: text(bom['specVersion']),
    scanner: tool,
    created: toRfc3339(metadata['timestamp']),
    image: cyclonedxImage(subject, components),
    vulnerabilities,
    packages,
    // The BOM's subject and its components are what was scanned, even when no vulnerability was found.
    targets: (text(subject['name']) === null ? 0 : 1) + packages.length,
    warnings: warnings.list,
  };
}

function flattenComponents(list: Raw[]): Raw[] {
  return list.flatMap((c) => [c, ...flattenComponents(records(c['components']))]);
}

function firstTool(tools: unknown): { name: string; version: string | null } {
  const entries = Array.isArray(tools) ? records(tools) : records(rec(tools)['components']);
  const first = entries[0];
  return { name: (text(first?.['name']) ?? 'unknown').toLowerCase(), version: text(first?.['version']) };
}

function packageOf(c: Raw): PackageFacts | null {
  const name = text(c['name']);
  const type = text(c['type']);
  if (name === null || (type !== 'library' && type !== 'framework')) return null;
  const purl = text(c['purl']);
  const pkgType = property(c, 'aquasecurity:trivy:PkgType');
  return {
    name,
    version: text(c['version']) ?? '',
    type: pkgType,
    class: packageClass({ type: pkgType, purl }),
    purl,
    path: property(c, 'aquasecurity:trivy:FilePath') ?? property(c, 'syft:location:0:path'),
    licenses: records(c['licenses']).flatMap((l) => texts([rec(l['license'])['id'] ?? rec(l['license'])['name'], l['expression']])),
  };
}

function vulnerabilityDrafts(v: Raw, byRef: Map<string, Raw>, path: string, warnings: Warnings): VulnerabilityDraft[] {
  const id = text(v['id']);
  if (id === null) {
    warnings.add('VULNERABILITY_WITHOUT_ID', 'skipped a vulnerability without an id', path);
    return [];
  }
  const source = text(rec(v['source'])['name']);
  const ratings = records(v['ratings']);
  const fixedVersions = fixedFrom(v);
  const analysis = rec(v['analysis']);
  const status = statusOf(analysis);
  const severity = severityOf(ratings, source);
  if (severity === 'UNKNOWN' && !ratings.some((r) => text(r['severity'])?.toLowerCase() === 'unknown')) warnings.severity(null, `${path}/ratings`);
  if (status === null && text(analysis['state']) !== null) warnings.status(analysis['state'], `${path}/analysis/state`);
  if (fixedVersions.length === 0 && text(v['recommendation']) !== null && status !== 'not_affected') {
    warnings.add(
      'FIX_UNREADABLE',
      'the fix is only given as recommendation text, which is never read as a version: fix availability unknown',
      `${path}/recommendation`,
    );
  }
  const affects = records(v['affects']);
  if (affects.length === 0) warnings.add('AFFECTED_COMPONENT_UNKNOWN', `${id} affects no component`, path);
  return affects.flatMap((affect, j) => {
    const component = byRef.get(text(affect['ref']) ?? '');
    const name = text(component?.['name']);
    if (!component || name === null) {
      warnings.add('AFFECTED_COMPONENT_UNKNOWN', `affects.ref ${String(affect['ref'])} names no component`, `${path}/affects/${j}`);
      return [];
    }
    const purl = text(component['purl']);
    const pkgType = property(component, 'aquasecurity:trivy:PkgType');
    return [
      {
        id,
        aliases: records(v['references'])
          .map((r) => text(r['id']))
          .filter((a): a is string => a !== null),
        title: null,
        packageName: name,
        installedVersion: text(component['version']) ?? '',
        packageType: pkgType,
        packageClass: packageClass({ type: pkgType, purl }),
        purl,
        path: property(component, 'aquasecurity:trivy:FilePath'),
        fixedVersions,
        severity,
        status,
        published: v['published'],
        cvssScore: scoreOf(ratings, source),
        dataSource: source,
        primaryUrl: text(records(v['advisories'])[0]?.['url']) ?? text(rec(v['source'])['url']),
        target: null,
      },
    ];
  });
}

/** Exact versions marked `unaffected` are the fixes; ranges and the free-text `recommendation` are not versions. */
function fixedFrom(v: Raw): string[] {
  const unaffected = records(v['affects'])
    .flatMap((a) => records(a['versions']))
    .filter((ver) => ver['status'] === 'unaffected')
    .flatMap((ver) => texts([ver['version']]));
  return [...new Set(unaffected)];
}

/** The rating of the vulnerability's own source, else the most severe one. */
function severityOf(ratings: Raw[], source: string | null): ReturnType<typeof normalizeSeverity> {
  const own = source === null ? undefined : ratings.find((r) => text(rec(r['source'])['name']) === source && text(r['severity']) !== null);
  if (own) return normalizeSeverity(own['severity']);
  const all = ratings.map((r) => normalizeSeverity(r['severity']));
  return all.sort((a, b) => SEVERITY_RANK[b] - SEVERITY_RANK[a])[0] ?? 'UNKNOWN';
}

function scoreOf(ratings: Raw[], source: string | null): number | null {
  const scored = ratings.filter((r) => numberOrNull(r['score']) !== null && /^CVSS/i.test(text(r['method']) ?? ''));
  const from = (name: string | null): Raw | undefined => (name === null ? undefined : scored.find((r) => text(rec(r['source'])['name']) === name));
  const pick = from(source) ?? from('nvd');
  if (pick) return numberOrNull(pick['score']);
  const scores = scored.map((r) => numberOrNull(r['score']) ?? 0);
  return scores.length === 0 ? null : Math.max(...scores);
}

// VEX analysis states (CycloneDX 1.4+ `impactAnalysisState`).
const VEX_STATE: Readonly<Record<string, string>> = {
  not_affected: 'not_affected',
  false_positive: 'not_affected',
  resolved: 'not_affected',
  resolved_with_pedigree: 'not_affected',
  exploitable: 'affected',
  in_triage: 'under_investigation',
};

/**
 * The state decides whether the vulnerability applies. A response only
 * refines a state under which it still applies (exploitable, in triage, or
 * none given): "will not fix" never turns a not_affected into affected.
 * Null when there is no analysis, or a state we do not know (warned).
 */
function statusOf(analysis: Raw): string | null {
  const state = text(analysis['state']);
  const mapped = state === null ? null : (VEX_STATE[state] ?? null);
  if (state !== null && mapped === null) return null;
  if (mapped === 'not_affected') return mapped;
  const responses = list(analysis['response']);
  if (responses.includes('will_not_fix') || responses.includes('can_not_fix')) return 'will_not_fix';
  return mapped;
}
