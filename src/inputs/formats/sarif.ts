import { splitFixedVersions } from '../derive.js';
import type { MisconfigDraft, SecretDraft, VulnerabilityDraft } from '../finding.js';
import type { ReportWarning } from '../types.js';
import { emptyReport, type ParsedReport } from './report.js';
import { arr, num, obj, root, str, strs } from './shape.js';
import { digestFor, firstImageRef } from './trivy.js';
import { rec, records, text, texts, type Raw } from './values.js';

export const sarifSchema = root(
  obj(
    {
      version: str,
      runs: arr(
        obj({
          tool: obj({ driver: obj({ name: str, version: str, rules: arr(obj({ id: str, name: str })) }) }),
          results: arr(obj({ ruleId: str, ruleIndex: num, level: str, message: obj({ text: str }) })),
          properties: obj({ imageID: str, imageName: str, repoTags: strs, repoDigests: strs }),
        }),
      ),
    },
    ['runs'],
  ),
);

/**
 * SARIF as Trivy writes it. SARIF is lossy: package and versions exist only
 * as "Key: value" lines of the message text, so that is what is read; results
 * without them are kept as warnings. Prefer the JSON report where there is one.
 */
export function parseSarif(raw: unknown): ParsedReport {
  const log = rec(raw);
  const run = records(log['runs'])[0] ?? {};
  const driver = rec(rec(run['tool'])['driver']);
  const rules = records(driver['rules']);
  const warnings: ReportWarning[] = [];
  const vulnerabilities: VulnerabilityDraft[] = [];
  const misconfigurations: MisconfigDraft[] = [];
  const secrets: SecretDraft[] = [];
  records(run['results']).forEach((result, i) => {
    const rule = rules[typeof result['ruleIndex'] === 'number' ? result['ruleIndex'] : -1] ?? rules.find((r) => r['id'] === result['ruleId']);
    const kind = text(rule?.['name']) ?? '';
    const fields = messageFields(text(rec(result['message'])['text']) ?? '');
    const id = text(result['ruleId']);
    if (id !== null && fields['package'] && /Vulnerability$/.test(kind)) vulnerabilities.push(vulnerabilityOf(id, kind, fields, result));
    else if (id !== null && kind === 'Misconfiguration') misconfigurations.push(misconfigOf(id, fields, result));
    else if (id !== null && kind === 'Secret') secrets.push(secretOf(id, fields, result));
    else warnings.push({ code: 'SARIF_RESULT_SKIPPED', message: `result of rule ${id ?? '?'} carries no package facts`, path: `/runs/0/results/${i}` });
  });
  return {
    ...emptyReport('sarif', (text(driver['name']) ?? 'unknown').toLowerCase()),
    formatVersion: text(log['version']),
    scanner: { name: (text(driver['name']) ?? 'unknown').toLowerCase(), version: text(driver['version']) },
    image: sarifImage(rec(run['properties'])),
    vulnerabilities,
    misconfigurations,
    secrets,
    warnings,
  };
}

/** "Installed Version: 1.2" → {installed_version: "1.2"}; "Vulnerability CVE-1" → {vulnerability: "CVE-1"}. */
function messageFields(message: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of message.split('\n')) {
    const match = /^([A-Za-z ]+):\s*(.*)$/.exec(line.trim()) ?? /^([A-Za-z]+)\s+(.*)$/.exec(line.trim());
    if (match?.[1] && match[2] !== undefined) fields[match[1].toLowerCase().replace(/ /g, '_')] ??= match[2].trim();
  }
  return fields;
}

function uri(result: Raw): string | null {
  return text(rec(rec(rec(records(result['locations'])[0])['physicalLocation'])['artifactLocation'])['uri']);
}

function region(result: Raw): Raw {
  return rec(rec(rec(records(result['locations'])[0])['physicalLocation'])['region']);
}

function vulnerabilityOf(id: string, kind: string, f: Record<string, string>, result: Raw): VulnerabilityDraft {
  return {
    id,
    packageName: f['package'] ?? '',
    installedVersion: f['installed_version'] ?? '',
    packageClass: kind === 'OsPackageVulnerability' ? 'os' : 'library',
    fixedVersion: f['fixed_version'] ?? null,
    fixedVersions: splitFixedVersions(f['fixed_version']),
    severity: f['severity'],
    primaryUrl: /\((https?:[^)]+)\)/.exec(f['link'] ?? '')?.[1] ?? null,
    target: uri(result),
  };
}

function misconfigOf(id: string, f: Record<string, string>, result: Raw): MisconfigDraft {
  const r = region(result);
  return {
    id,
    aliases: [],
    type: f['type'] ?? null,
    title: null,
    message: f['message'] ?? null,
    resolution: null,
    severity: f['severity'],
    status: 'FAIL',
    target: f['artifact'] ?? uri(result),
    start_line: typeof r['startLine'] === 'number' ? r['startLine'] : null,
    end_line: typeof r['endLine'] === 'number' ? r['endLine'] : null,
    primary_url: null,
  };
}

function secretOf(id: string, f: Record<string, string>, result: Raw): SecretDraft {
  const r = region(result);
  return {
    rule_id: id,
    category: null,
    title: f['secret'] ?? null,
    severity: f['severity'],
    target: f['artifact'] ?? uri(result),
    start_line: typeof r['startLine'] === 'number' ? r['startLine'] : null,
    end_line: typeof r['endLine'] === 'number' ? r['endLine'] : null,
    match: f['match'] ?? null,
  };
}

function sarifImage(properties: Raw): ParsedReport['image'] {
  const repoTags = texts(properties['repoTags']);
  const repoDigests = texts(properties['repoDigests']);
  const ref = firstImageRef([text(properties['imageName']), ...repoTags, ...repoDigests]);
  return ref ? { ref: { ...ref, digest: ref.digest ?? digestFor(ref, repoDigests) }, id: text(properties['imageID']), repoTags, repoDigests } : {};
}
