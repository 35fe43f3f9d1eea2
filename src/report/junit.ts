import type { InputWarnings, ReportContext } from './context.js';
import { countsLine, displayPath, incompleteReports, plural, sortExceptions, sortFindings, warningCodes } from './findings.js';
import type { Decision, ExceptionRecord, Finding } from './model.js';

interface Case {
  readonly rule: string;
  readonly name: string;
  readonly kind: 'failure' | 'warning' | 'skipped' | 'passed' | 'input';
  readonly finding?: Finding;
  readonly exception?: ExceptionRecord;
  readonly input?: InputWarnings;
}

/**
 * `--output junit`, as conftest writes it for CI test reports: one testsuite
 * per target (the image a finding is about, else the checked target), one
 * testcase per finding; violations are failures, warnings pass with the
 * warning in system-out, and excepted findings are skipped with the reason.
 * Reports that could not be fully read are a passing case each in the
 * checked target's suite, with every unread entry in system-out. Valid
 * against Jenkins' junit-10.xsd (test/fixtures/junit).
 */
export function formatJunit(decision: Decision, context: ReportContext): string {
  const suites = suitesOf(decision, context);
  const all = [...suites.values()].flat();
  const count = (cases: readonly Case[], kind: Case['kind']) => cases.filter((c) => c.kind === kind).length;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${attr(context.tool.name)}" tests="${all.length}" failures="${count(all, 'failure')}" errors="0">`,
  ];
  for (const [target, cases] of suites) {
    lines.push(
      `  <testsuite name="${attr(target)}" tests="${cases.length}" failures="${count(cases, 'failure')}" errors="0" skipped="${count(cases, 'skipped')}"${context.now ? ` timestamp="${attr(context.now)}"` : ''}>`,
      '    <properties>',
      `      <property name="decision" value="${attr(decision.decision)}"/>`,
      `      <property name="summary" value="${attr(countsLine(decision))}"/>`,
      '    </properties>',
      ...cases.map(testcase),
      '  </testsuite>',
    );
  }
  lines.push('</testsuites>');
  return `${lines.join('\n')}\n`;
}

/** Suites keyed by target, the checked target first; it always exists, with one passing case when nothing fired. */
function suitesOf(decision: Decision, context: ReportContext): Map<string, Case[]> {
  const cases: Case[] = [
    ...sortFindings(decision.violations).map((f) => findingCase(f, 'failure')),
    ...sortFindings(decision.warnings).map((f) => findingCase(f, 'warning')),
    ...sortExceptions(decision.exceptions).map((e): Case => ({
      rule: e.rule,
      name: exceptionName(e),
      kind: 'skipped',
      exception: e,
      ...(e.finding ? { finding: e.finding } : {}),
    })),
  ];
  const suites = new Map<string, Case[]>([[context.target, []]]);
  const targets = [...new Set(cases.map((c) => c.finding?.image ?? context.target))].sort();
  for (const t of targets) suites.set(t, suites.get(t) ?? []);
  for (const c of cases) suites.get(c.finding?.image ?? context.target)?.push(c);
  const main = suites.get(context.target) as Case[];
  if (main.length === 0) main.push({ rule: 'decision', name: `${decision.decision}: ${countsLine(decision)}`, kind: 'passed' });
  for (const r of incompleteReports(context)) {
    main.push({
      rule: 'input',
      name: `${displayPath(r.file, context)}: ${plural(r.warnings.length, 'entry', 'entries')} not fully read`,
      kind: 'input',
      input: r,
    });
  }
  return suites;
}

function findingCase(f: Finding, kind: 'failure' | 'warning'): Case {
  const subject = f.id !== undefined && f.package !== undefined ? `${f.id} in ${f.package} ${f.installed_version ?? ''}`.trim() : f.message;
  return { rule: f.rule, name: `[${f.severity}] ${subject}`, kind, finding: f };
}

function exceptionName(e: ExceptionRecord): string {
  const subject = [e.id ?? e.finding?.id, e.package ?? e.finding?.package].filter(Boolean).join(' in ');
  return subject === '' ? (e.finding?.message ?? e.rule) : subject;
}

function testcase(c: Case): string {
  const open = `    <testcase classname="${attr(c.rule)}" name="${attr(c.name)}"`;
  const f = c.finding;
  switch (c.kind) {
    case 'passed':
      return `${open}/>`;
    case 'failure':
      return `${open}>\n      <failure message="${attr(f?.message ?? '')}" type="${attr(f?.severity ?? '')}">${text(details(f))}</failure>\n    </testcase>`;
    case 'warning':
      return `${open}>\n      <system-out>${text(`WARN: ${f?.message ?? ''}\n${details(f)}`)}</system-out>\n    </testcase>`;
    case 'input': {
      const lines = (c.input?.warnings ?? []).map((w) => `${w.code} ${w.path}: ${w.message}`);
      return `${open}>\n      <system-out>${text([warningCodes(c.input?.warnings ?? []), ...lines].join('\n'))}</system-out>\n    </testcase>`;
    }
    case 'skipped': {
      const e = c.exception as ExceptionRecord;
      return `${open}>\n      <skipped message="${attr(`exception: ${e.reason} (expires ${e.expires})`)}"/>\n    </testcase>`;
    }
  }
}

function details(f: Finding | undefined): string {
  if (!f) return '';
  const fields: [string, string | undefined][] = [
    ['rule', f.rule],
    ['severity', f.severity],
    ['enforcement', f.enforcement],
    ['image', f.image],
    ['id', f.id],
    ['package', f.package],
    ['installed_version', f.installed_version],
    ['fixed_version', f.fixed_version],
    ['location', f.location ? `${f.location.file}${f.location.line === undefined ? '' : `:${f.location.line}`}` : undefined],
  ];
  return fields.flatMap(([k, v]) => (v === undefined ? [] : [`${k}: ${v}`])).join('\n');
}

// XML 1.0 cannot carry most control characters at all, even escaped.
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

function text(value: string): string {
  return value.replace(INVALID_XML, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function attr(value: string): string {
  return text(value).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}
