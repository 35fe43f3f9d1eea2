import { normalizeSeverity, packageClass, SEVERITY_RANK, splitFixedVersions, toRfc3339 } from '../derive.js';
import type { VulnerabilityDraft } from '../finding.js';
import type { PackageFacts, ReportWarning } from '../types.js';
import { cyclonedxImage } from './cyclonedx-image.js';
import { emptyReport, type ParsedReport } from './report.js';
import { list, numberOrNull, property, rec, records, text, texts, type Raw } from './values.js';

/** CycloneDX 1.4 to 1.7 with a `vulnerabilities` section, as Trivy and Grype write it. */
export function parseCycloneDx(raw: unknown): ParsedReport {
  const bom = rec(raw);
  const metadata = rec(bom['metadata']);
  const components = flattenComponents(records(bom['components']));
  const byRef = new Map(components.map((c) => [text(c['bom-ref']) ?? text(c['purl']) ?? '', c]));
  const warnings: ReportWarning[] = [];
  const vulnerabilities = records(bom['vulnerabilities']).flatMap((v, i) => vulnerabilityDrafts(v, byRef, `/vulnerabilities/${i}`, warnings));
  const tool = firstTool(metadata['tools']);
  return {
    ...emptyReport('cyclonedx', tool.name),
    formatVersion: text(bom['specVersion']),
    scanner: tool,
    created: toRfc3339(metadata['timestamp']),
    image: cyclonedxImage(rec(metadata['component']), components),
    vulnerabilities,
    packages: components.map(packageOf).filter((p): p is PackageFacts => p !== null),
    warnings,
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

function vulnerabilityDrafts(v: Raw, byRef: Map<string, Raw>, path: string, warnings: ReportWarning[]): VulnerabilityDraft[] {
  const id = text(v['id']);
  if (id === null) {
    warnings.push({ code: 'VULNERABILITY_WITHOUT_ID', message: 'skipped a vulnerability without an id', path });
    return [];
  }
  const source = text(rec(v['source'])['name']);
  const ratings = records(v['ratings']);
  const fixedVersions = fixedFrom(v);
  return records(v['affects']).flatMap((affect, j) => {
    const component = byRef.get(text(affect['ref']) ?? '');
    const name = text(component?.['name']);
    if (!component || name === null) {
      warnings.push({ code: 'AFFECTED_COMPONENT_UNKNOWN', message: `affects.ref ${String(affect['ref'])} names no component`, path: `${path}/affects/${j}` });
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
        severity: severityOf(ratings, source),
        status: statusOf(rec(v['analysis'])),
        published: v['published'],
        cvssScore: scoreOf(ratings, source),
        dataSource: source,
        primaryUrl: text(records(v['advisories'])[0]?.['url']) ?? text(rec(v['source'])['url']),
        target: null,
      },
    ];
  });
}

/** Trivy writes "Upgrade <pkg> to version <v>"; unaffected exact versions are fixes too. */
function fixedFrom(v: Raw): string[] {
  const match = /to versions? (.+)$/i.exec(text(v['recommendation']) ?? '');
  const fromText = splitFixedVersions(match?.[1]);
  const unaffected = records(v['affects'])
    .flatMap((a) => records(a['versions']))
    .filter((ver) => ver['status'] === 'unaffected')
    .flatMap((ver) => texts([ver['version']]));
  return [...new Set([...fromText, ...unaffected])];
}

/** The rating of the vulnerability's own source, else the most severe one. */
function severityOf(ratings: Raw[], source: string | null): string {
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

const VEX_STATE: Readonly<Record<string, string>> = {
  not_affected: 'not_affected',
  false_positive: 'not_affected',
  resolved: 'not_affected',
  resolved_with_pedigree: 'not_affected',
  exploitable: 'affected',
  in_triage: 'under_investigation',
};

function statusOf(analysis: Raw): string | null {
  const responses = list(analysis['response']);
  if (responses.includes('will_not_fix') || responses.includes('can_not_fix')) return 'will_not_fix';
  return VEX_STATE[text(analysis['state']) ?? ''] ?? null;
}
