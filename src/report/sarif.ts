import { sha256Hex } from '../core/index.js';
import { findingKey, type ReportContext, type RuleHelp } from './context.js';
import { compareFindings, displayPath, findingFile, incompleteReports, severityRank, sortExceptions, sortFindings } from './findings.js';
import type { Decision, ExceptionRecord, Finding, Severity } from './model.js';

/** The schema SARIF consumers (GitHub code scanning among them) resolve; 2.1.0 is the only version they accept. */
export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';

// GitHub ranks security alerts by this property (a CVSS-like score as a string);
// the values are the ones Grype falls back to when a match has no CVSS score.
const SECURITY_SEVERITY: Readonly<Record<Severity, string>> = {
  CRITICAL: '9.0',
  HIGH: '7.0',
  MEDIUM: '4.0',
  LOW: '1.0',
  NEGLIGIBLE: '0.0',
  UNKNOWN: '0.0',
};

type Level = 'error' | 'warning';

interface Entry {
  readonly finding: Finding;
  readonly exception?: ExceptionRecord;
}

/**
 * `--output sarif`: one SARIF 2.1.0 run. Rules are the policy rules that fired;
 * violations are `error` results, warnings `warning` results, and findings an
 * exception suppressed are kept with a `suppressions` entry, so code scanning
 * shows them as dismissed with the exception's reason rather than losing them.
 */
export function formatSarif(decision: Decision, context: ReportContext): string {
  const entries: Entry[] = [
    ...sortFindings(decision.violations).map((finding) => ({ finding })),
    ...sortFindings(decision.warnings).map((finding) => ({ finding })),
    ...sortExceptions(decision.exceptions).flatMap((exception) => (exception.finding ? [{ finding: exception.finding, exception }] : [])),
  ];
  const rules = ruleDescriptors(
    entries.map((e) => e.finding),
    context.rules ?? {},
  );
  const ruleIndex = new Map(rules.map((r, i) => [r.id, i]));
  const log = {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: context.tool.name, version: context.tool.version, rules } },
        invocations: [invocation(decision, context)],
        results: entries.map((e) => result(e, ruleIndex.get(e.finding.rule) ?? 0, context)),
        properties: {
          decision: decision.decision,
          target: context.target,
          ...(context.images ? { images: context.images.map((i) => ({ target: i.target, decision: i.decision.decision })) } : {}),
        },
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

function levelOf(f: Finding): Level {
  return f.enforcement === 'deny' ? 'error' : 'warning';
}

/**
 * One reportingDescriptor per rule, in order of first appearance (worst
 * first), each with the short and full description and help that code
 * scanning shows: from the rule's `# METADATA` when known, else from its findings.
 */
function ruleDescriptors(findings: readonly Finding[], docs: Readonly<Record<string, RuleHelp>>) {
  const byRule = new Map<string, Finding[]>();
  for (const f of [...findings].sort(compareFindings)) byRule.set(f.rule, [...(byRule.get(f.rule) ?? []), f]);
  return [...byRule.entries()].map(([id, list]) => {
    const worst = [...list].sort((a, b) => severityRank(a.severity) - severityRank(b.severity))[0] as Finding;
    const doc = docs[id];
    const title = doc?.title ?? list.find((f) => f.title !== undefined)?.title ?? id;
    const practice = doc?.practice ?? list.find((f) => f.practice !== undefined)?.practice ?? null;
    const full = doc?.description ?? practice ?? title;
    const extra = practice === null ? [] : [['Practice', practice]];
    const help = (bold: boolean) => [full, ...[...extra, ['Rule', id]].map(([k, v]) => (bold ? `**${k}:** ${v}` : `${k}: ${v}`))].join('\n\n');
    return {
      id,
      shortDescription: { text: title },
      fullDescription: { text: full },
      help: { text: help(false), markdown: help(true) },
      defaultConfiguration: { level: list.some((f) => f.enforcement === 'deny') ? 'error' : 'warning' },
      properties: {
        tags: ['security', 'container-image', ...(list.some((f) => f.package !== undefined) ? ['vulnerability'] : [])],
        'security-severity': SECURITY_SEVERITY[worst.severity],
      },
    };
  });
}

function result(entry: Entry, ruleIndex: number, context: ReportContext) {
  const f = entry.finding;
  const e = entry.exception;
  return {
    ruleId: f.rule,
    ruleIndex,
    level: levelOf(f),
    message: { text: f.message },
    locations: [location(f, context)],
    partialFingerprints: { 'portcullisFinding/v1': fingerprint(f) },
    ...(e ? { suppressions: [{ kind: 'external', status: 'accepted', justification: `${e.reason} (expires ${e.expires})` }] } : {}),
    properties: {
      severity: f.severity,
      enforcement: f.enforcement,
      ...optional({
        id: f.id,
        package: f.package,
        installed_version: f.installed_version,
        fixed_version: f.fixed_version,
        image: f.image,
        path_in_image: f.package === undefined ? undefined : context.packagePaths?.[findingKey(f.image, f.id, f.package, f.installed_version)],
      }),
    },
  };
}

/**
 * The Dockerfile (or manifest) line when the finding has one; otherwise the
 * report file of the finding's image at line 1, as Trivy does, since code
 * scanning places every alert on a line (the path inside the image is a
 * property, not a location: it is no file of the repository).
 */
function location(f: Finding, context: ReportContext) {
  const file = displayPath(findingFile(f, context) ?? context.target, context);
  const line = f.location ? f.location.line : 1;
  return {
    physicalLocation: {
      artifactLocation: { uri: toUri(file) },
      ...(line !== undefined && line >= 1 ? { region: { startLine: line } } : {}),
    },
    ...(f.image === undefined ? {} : { logicalLocations: [{ fullyQualifiedName: f.image, kind: 'image' }] }),
  };
}

/**
 * Expired exceptions become configuration notifications: nothing they cover
 * is suppressed any more. Report entries that could not be fully read become
 * execution notifications on their report file, with the JSON path.
 */
function invocation(decision: Decision, context: ReportContext) {
  const notifications = sortExceptions(decision.expired_exceptions).map((e) => ({
    level: 'warning',
    message: { text: `exception for ${[e.rule, e.id, e.package, e.image].filter(Boolean).join(' ')} expired on ${e.expires}: ${e.reason}` },
    descriptor: { id: e.rule },
  }));
  const execution = incompleteReports(context).flatMap((r) =>
    r.warnings.map((w) => ({
      level: 'warning',
      message: { text: `${w.code}: ${w.message}` },
      locations: [{ physicalLocation: { artifactLocation: { uri: toUri(displayPath(r.file, context)) } } }],
      descriptor: { id: w.code },
      properties: { format: r.format, path: w.path },
    })),
  );
  return {
    executionSuccessful: true,
    ...(context.now === undefined ? {} : { endTimeUtc: context.now }),
    ...(execution.length > 0 ? { toolExecutionNotifications: execution } : {}),
    ...(notifications.length > 0 ? { toolConfigurationNotifications: notifications } : {}),
  };
}

/** Stable across runs and message rewording, so code scanning tracks one alert per rule and subject. */
function fingerprint(f: Finding): string {
  const subject = f.id !== undefined || f.package !== undefined ? '' : f.message;
  return sha256Hex(JSON.stringify([f.rule, f.id ?? '', f.package ?? '', f.image ?? '', f.location?.file ?? '', f.location?.line ?? 0, subject]));
}

/** A file path as a relative or absolute URI reference; a colon in the first segment would read as a scheme. */
export function toUri(path: string): string {
  const segments = path.replace(/\\/g, '/').split('/');
  return segments.map((s, i) => (i === 0 ? encodeURIComponent(s) : encodeURIComponent(s).replace(/%3A/gi, ':').replace(/%40/g, '@'))).join('/');
}

function optional(values: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter((kv): kv is [string, string] => kv[1] !== undefined));
}
