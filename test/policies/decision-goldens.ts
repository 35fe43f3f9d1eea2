import { join } from 'node:path';
import type { Decision, ExceptionRecord, Finding } from '../../src/report/model.js';
import { FIXTURES, type Fixture } from '../inputs/fixtures.js';
import { REPO } from '../helpers/processes.js';

export const SCAN_ENTRYPOINT = 'portcullis/scan/decision';
export const GOLDEN_DECISIONS = join(REPO, 'test', 'golden', 'decisions');
/** Every golden decision is taken at this instant, so CVE ages and exception expiries are stable. */
export const DECISION_NOW = '2026-11-28T12:00:00Z';

export function goldenDecisionPath(fixture: Fixture): string {
  return join(GOLDEN_DECISIONS, `${fixture.kind}__${fixture.name}.json`);
}

/** One line per finding, sorted, so a reviewer can read a golden and a diff shows exactly what changed. */
export function decisionSummary(decision: Decision): Record<string, unknown> {
  // Fixture paths are made relative before sorting, so a golden does not depend on where the clone lives.
  const lines = <T>(items: readonly T[], line: (item: T) => string) => items.map((i) => line(i).replaceAll(`${FIXTURES}/`, 'fixtures/')).sort();
  return {
    decision: decision.decision,
    violations: lines(decision.violations, findingLine),
    warnings: lines(decision.warnings, findingLine),
    exceptions: lines(decision.exceptions, exceptionLine),
    expired_exceptions: lines(decision.expired_exceptions, exceptionLine),
  };
}

function findingLine(f: Finding): string {
  const subject = f.package
    ? `${f.id ?? '?'} ${f.package}@${f.installed_version ?? '?'} fixed:${f.fixed_version ?? '-'}`
    : `${f.id ? `${f.id}: ` : ''}${f.message}`;
  const where = f.location ? ` (${f.location.file}:${f.location.line ?? '?'})` : '';
  return `${f.rule} ${f.severity} ${subject}${where}`;
}

function exceptionLine(e: ExceptionRecord): string {
  return `${e.rule} ${e.id ?? '*'} ${e.package ?? '*'} ${e.image ?? '*'} until ${e.expires}: ${e.reason}`;
}
