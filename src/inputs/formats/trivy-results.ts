import { packageClass, splitFixedVersions } from '../derive.js';
import type { MisconfigDraft, SecretDraft, VulnerabilityDraft } from '../finding.js';
import type { K8sResource, PackageFacts } from '../types.js';
import { pickCvssScore, rec, records, text, texts, type Raw } from './values.js';
import { Warnings } from './warnings.js';

/** Findings of Trivy `Results[]`, shared by image, filesystem, legacy and k8s reports. */
export interface TrivyFindings {
  vulnerabilities: VulnerabilityDraft[];
  misconfigurations: MisconfigDraft[];
  secrets: SecretDraft[];
  packages: PackageFacts[];
  listsPackages: boolean;
  /** Targets (Results[].Target) read, so a report that names nothing else still has a subject. */
  targets: number;
  warnings: Warnings;
}

export function emptyFindings(): TrivyFindings {
  return { vulnerabilities: [], misconfigurations: [], secrets: [], packages: [], listsPackages: false, targets: 0, warnings: new Warnings() };
}

export function collectResults(results: Raw[], base: string, into: TrivyFindings, resource: K8sResource | null = null): void {
  results.forEach((result, i) => {
    const path = `${base}/${i}`;
    const target = text(result['Target']);
    const trivyClass = text(result['Class']);
    const type = text(result['Type']);
    if (target !== null) into.targets += 1;
    records(result['Vulnerabilities']).forEach((v, j) => {
      const where = `${path}/Vulnerabilities/${j}`;
      const draft = vulnerabilityDraft(v, { target, trivyClass, type, resource });
      if (!draft) {
        into.warnings.add('VULNERABILITY_WITHOUT_ID', 'skipped a vulnerability entry without an ID or package', where);
        return;
      }
      into.warnings.severity(v['Severity'], where);
      into.warnings.status(v['Status'], where);
      into.vulnerabilities.push(draft);
    });
    records(result['Misconfigurations']).forEach((m, j) => {
      const where = `${path}/Misconfigurations/${j}`;
      if (text(m['ID']) === null && text(m['AVDID']) === null)
        into.warnings.add('MISCONFIGURATION_WITHOUT_ID', 'a misconfiguration without a check ID (kept as UNKNOWN)', where);
      into.warnings.severity(m['Severity'], where);
      into.misconfigurations.push(misconfigDraft(m, target));
    });
    records(result['Secrets']).forEach((s, j) => {
      const where = `${path}/Secrets/${j}`;
      if (text(s['RuleID']) === null) into.warnings.add('SECRET_WITHOUT_RULE', 'a secret without a rule ID (kept as unknown)', where);
      into.warnings.severity(s['Severity'], where);
      into.secrets.push(secretDraft(s, target));
    });
    if (Array.isArray(result['Packages'])) into.listsPackages = true;
    records(result['Packages']).forEach((p) => {
      const facts = packageFacts(p, trivyClass, type);
      if (facts) into.packages.push(facts);
    });
  });
}

interface ResultContext {
  target: string | null;
  trivyClass: string | null;
  type: string | null;
  resource: K8sResource | null;
}

function vulnerabilityDraft(v: Raw, ctx: ResultContext): VulnerabilityDraft | null {
  const id = text(v['VulnerabilityID']);
  const name = text(v['PkgName']);
  if (id === null || name === null) return null;
  const fixedVersion = text(v['FixedVersion']);
  const severitySource = text(v['SeveritySource']);
  return {
    id,
    aliases: texts(v['VendorIDs']),
    title: text(v['Title']),
    packageName: name,
    installedVersion: text(v['InstalledVersion']) ?? '',
    packageType: ctx.type,
    trivyClass: ctx.trivyClass,
    purl: text(rec(v['PkgIdentifier'])['PURL']),
    path: text(v['PkgPath']),
    fixedVersion,
    fixedVersions: splitFixedVersions(fixedVersion),
    severity: v['Severity'],
    status: v['Status'],
    published: v['PublishedDate'],
    cvssScore: pickCvssScore(v['CVSS'], severitySource),
    dataSource: text(rec(v['DataSource'])['ID']) ?? severitySource,
    primaryUrl: text(v['PrimaryURL']),
    target: ctx.target,
    resource: ctx.resource,
  };
}

function misconfigDraft(m: Raw, target: string | null): MisconfigDraft {
  const cause = rec(m['CauseMetadata']);
  const id = text(m['ID']) ?? text(m['AVDID']) ?? 'UNKNOWN';
  return {
    id,
    aliases: [...new Set([...texts([m['AVDID']]), ...checkIdForms(id)])].filter((a) => a !== id),
    type: text(m['Type']),
    title: text(m['Title']),
    message: text(m['Message']),
    resolution: text(m['Resolution']),
    severity: m['Severity'],
    status: m['Status'],
    target,
    start_line: typeof cause['StartLine'] === 'number' ? cause['StartLine'] : null,
    end_line: typeof cause['EndLine'] === 'number' ? cause['EndLine'] : null,
    primary_url: text(m['PrimaryURL']),
  };
}

/** trivy-checks v2 renamed DS002 to DS-0002 (and dropped AVD-DS-0002); every spelling is kept so rules match either. */
export function checkIdForms(id: string): string[] {
  const match = /^(?:AVD-)?([A-Z]+)-?(\d+)$/.exec(id);
  if (!match?.[1] || !match[2]) return [];
  const number = Number(match[2]);
  return [
    `${match[1]}${String(number).padStart(3, '0')}`,
    `${match[1]}-${String(number).padStart(4, '0')}`,
    `AVD-${match[1]}-${String(number).padStart(4, '0')}`,
  ];
}

function secretDraft(s: Raw, target: string | null): SecretDraft {
  return {
    rule_id: text(s['RuleID']) ?? 'unknown',
    category: text(s['Category']),
    title: text(s['Title']),
    severity: s['Severity'],
    target,
    start_line: typeof s['StartLine'] === 'number' ? s['StartLine'] : null,
    end_line: typeof s['EndLine'] === 'number' ? s['EndLine'] : null,
    match: text(s['Match']),
  };
}

function packageFacts(p: Raw, trivyClass: string | null, type: string | null): PackageFacts | null {
  const name = text(p['Name']);
  if (name === null) return null;
  const purl = text(rec(p['Identifier'])['PURL']);
  return {
    name,
    version: text(p['Version']) ?? '',
    type,
    class: packageClass({ trivyClass, type, purl }),
    purl,
    path: text(p['FilePath']),
    licenses: texts(p['Licenses']),
  };
}
