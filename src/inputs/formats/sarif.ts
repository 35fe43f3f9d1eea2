import { AppError } from '../../core/index.js';
import { normalizeSeverity, splitFixedVersions } from '../derive.js';
import type { MisconfigDraft, SecretDraft, VulnerabilityDraft } from '../finding.js';
import type { Severity } from '../types.js';
import { emptyReport, type ParsedReport } from './report.js';
import { arr, num, obj, root, str, strs } from './shape.js';
import { digestFor, firstImageRef } from './trivy.js';
import { rec, records, text, texts, type Raw } from './values.js';
import { Warnings } from './warnings.js';

const message = obj({ text: str });

export const sarifSchema = root(
  obj(
    {
      version: str,
      runs: arr(
        obj({
          tool: obj({
            driver: obj({
              name: str,
              version: str,
              rules: arr(obj({ id: str, name: str, shortDescription: message, help: message, properties: obj({ 'security-severity': str, tags: strs }) })),
            }),
          }),
          results: arr(obj({ ruleId: str, ruleIndex: num, level: str, message })),
          properties: obj({ imageID: str, imageName: str, repoTags: strs, repoDigests: strs }),
        }),
      ),
    },
    ['runs'],
  ),
);

type Dialect = 'trivy' | 'grype';

const JSON_INSTEAD = "give the scanner's JSON report instead (trivy --format json, grype -o json)";

/** Only SARIF whose results map onto findings without losing meaning: Trivy's and Grype's. */
function dialectOf(driverName: string | null, file: string): Dialect {
  const name = (driverName ?? '').toLowerCase();
  if (name === 'trivy') return 'trivy';
  if (name === 'grype' || name.startsWith('anchore container vulnerability report')) return 'grype';
  throw new AppError(
    'REPORT_UNSUPPORTED',
    `${file}: SARIF from ${driverName ?? 'an unnamed tool'} cannot be read without losing meaning; only Trivy's and Grype's SARIF is accepted: ${JSON_INSTEAD}`,
    {
      details: [{ file, path: '/runs/0/tool/driver/name', message: 'SARIF from a tool portcullis cannot map' }],
    },
  );
}

/**
 * SARIF as Trivy and Grype write it (one run). Package and versions exist
 * only as "Key: value" lines of text (Trivy's result message, Grype's rule
 * help), so that is what is read; the rule id is the vulnerability (Grype
 * appends the package). A result without a severity anywhere makes the whole
 * file unusable: a gate cannot rank it.
 */
export function parseSarif(raw: unknown, file: string): ParsedReport {
  const log = rec(raw);
  const run = records(log['runs'])[0] ?? {};
  const driver = rec(rec(run['tool'])['driver']);
  const dialect = dialectOf(text(driver['name']), file);
  const rules = records(driver['rules']);
  const warnings = new Warnings();
  const found = { vulnerabilities: [] as VulnerabilityDraft[], misconfigurations: [] as MisconfigDraft[], secrets: [] as SecretDraft[] };
  records(run['results']).forEach((result, i) => {
    const path = `/runs/0/results/${i}`;
    const index = typeof result['ruleIndex'] === 'number' ? result['ruleIndex'] : -1;
    const rule = rules.find((r) => r['id'] === result['ruleId']) ?? rules[index] ?? {};
    const entry = dialect === 'trivy' ? trivyEntry(result, rule) : grypeEntry(rule);
    if (entry.severity === null) {
      throw new AppError('REPORT_UNSUPPORTED', `${file}: result ${i} (${text(result['ruleId']) ?? 'no rule'}) has no severity; ${JSON_INSTEAD}`, {
        details: [{ file, path, message: 'SARIF result without a severity' }],
      });
    }
    addEntry(entry, result, found, warnings, path);
  });
  const name = (text(driver['name']) ?? dialect).toLowerCase();
  return {
    ...emptyReport('sarif', name),
    formatVersion: text(log['version']),
    scanner: { name: dialect, version: text(driver['version']) },
    image: sarifImage(rec(run['properties'])),
    ...found,
    targets: records(run['results']).length > 0 || text(rec(run['properties'])['imageName']) !== null ? 1 : 0,
    warnings: warnings.list,
  };
}

interface Entry {
  readonly kind: 'vulnerability' | 'misconfiguration' | 'secret' | 'other';
  readonly id: string | null;
  readonly severity: Severity | null;
  readonly fields: Record<string, string>;
  readonly packageClass?: 'os' | 'library';
}

/** Trivy: rule id is the CVE or check; rule name the kind; the result message holds the facts. */
function trivyEntry(result: Raw, rule: Raw): Entry {
  const fields = messageFields(text(rec(result['message'])['text']) ?? '');
  const kind = text(rule['name']) ?? '';
  const tags = texts(rec(rule['properties'])['tags']);
  const severity = known(fields['severity']) ?? known(tags.find((t) => known(t) !== null)) ?? null;
  const id = text(result['ruleId']) ?? text(rule['id']);
  if (/Vulnerability$/.test(kind)) return { kind: 'vulnerability', id, severity, fields, packageClass: kind === 'OsPackageVulnerability' ? 'os' : 'library' };
  if (kind === 'Misconfiguration') return { kind: 'misconfiguration', id, severity, fields };
  if (kind === 'Secret') return { kind: 'secret', id, severity, fields };
  return { kind: 'other', id, severity: severity ?? 'UNKNOWN', fields };
}

/** Grype: rule id is "<vulnerability>-<package>"; the rule's help text holds the facts. */
function grypeEntry(rule: Raw): Entry {
  const fields = messageFields(text(rec(rule['help'])['text']) ?? '');
  const short = /^\S+ (\w+) vulnerability for /.exec(text(rec(rule['shortDescription'])['text']) ?? '')?.[1];
  const severity = known(fields['severity']) ?? known(short) ?? null;
  const renamed: Record<string, string> = { ...fields };
  if (fields['version'] !== undefined) renamed['installed_version'] = fields['version'];
  if (fields['fix_version'] !== undefined) renamed['fixed_version'] = fields['fix_version'];
  return { kind: 'vulnerability', id: fields['vulnerability'] ?? null, severity, fields: renamed };
}

/** A scanner's severity word, or null when there is none we know ("unknown" is a known word). */
function known(word: string | undefined): Severity | null {
  if (word === undefined || word.trim() === '') return null;
  const severity = normalizeSeverity(word);
  return severity === 'UNKNOWN' && word.trim().toUpperCase() !== 'UNKNOWN' ? null : severity;
}

function addEntry(
  entry: Entry,
  result: Raw,
  found: { vulnerabilities: VulnerabilityDraft[]; misconfigurations: MisconfigDraft[]; secrets: SecretDraft[] },
  warnings: Warnings,
  path: string,
): void {
  const f = entry.fields;
  if (entry.kind === 'vulnerability' && entry.id !== null && f['package']) {
    found.vulnerabilities.push({
      id: entry.id,
      packageName: f['package'],
      installedVersion: f['installed_version'] ?? '',
      ...(entry.packageClass === undefined ? {} : { packageClass: entry.packageClass }),
      packageType: f['type'] ?? null,
      fixedVersion: f['fixed_version'] || null,
      fixedVersions: splitFixedVersions(f['fixed_version']),
      severity: entry.severity,
      primaryUrl: /\((https?:[^)]+)\)/.exec(f['link'] ?? '')?.[1] ?? null,
      target: uri(result),
    });
  } else if (entry.kind === 'misconfiguration' && entry.id !== null) found.misconfigurations.push(misconfigOf(entry.id, entry.severity, f, result));
  else if (entry.kind === 'secret' && entry.id !== null) found.secrets.push(secretOf(entry.id, entry.severity, f, result));
  else
    warnings.add(
      'SARIF_RESULT_SKIPPED',
      `result of rule ${text(result['ruleId']) ?? '?'} carries no ${entry.kind === 'other' ? 'finding portcullis decides on' : 'package facts'}`,
      path,
    );
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

function misconfigOf(id: string, severity: Severity | null, f: Record<string, string>, result: Raw): MisconfigDraft {
  const r = region(result);
  return {
    id,
    aliases: [],
    type: f['type'] ?? null,
    title: null,
    message: f['message'] ?? null,
    resolution: null,
    severity,
    status: 'FAIL',
    target: f['artifact'] ?? uri(result),
    start_line: typeof r['startLine'] === 'number' ? r['startLine'] : null,
    end_line: typeof r['endLine'] === 'number' ? r['endLine'] : null,
    primary_url: null,
  };
}

function secretOf(id: string, severity: Severity | null, f: Record<string, string>, result: Raw): SecretDraft {
  const r = region(result);
  return {
    rule_id: id,
    category: null,
    title: f['secret'] ?? null,
    severity,
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
