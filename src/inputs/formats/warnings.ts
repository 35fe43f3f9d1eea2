import { isMissingSeverity, isUnknownStatus } from '../derive.js';
import type { ReportWarning, ReportWarningCode } from '../types.js';

/** Collects what a parser could not read fully, each with the JSON path of the entry. */
export class Warnings {
  readonly list: ReportWarning[] = [];

  add(code: ReportWarningCode, message: string, path: string): void {
    this.list.push({ code, message, path });
  }

  /** Severity absent or unrecognised: the finding counts as UNKNOWN, which thresholds rarely catch, so it is said. */
  severity(raw: unknown, path: string): void {
    if (!isMissingSeverity(raw)) return;
    const what = raw === undefined || raw === null || raw === '' ? 'no severity' : `unrecognised severity ${JSON.stringify(raw)}`;
    this.add('SEVERITY_MISSING', `${what}; counted as UNKNOWN`, path);
  }

  /** A status word we do not know: the finding counts as affected (fixed when a fix version is listed). */
  status(raw: unknown, path: string): void {
    if (isUnknownStatus(raw)) this.add('STATUS_UNKNOWN', `unrecognised status ${JSON.stringify(raw)}; counted as affected`, path);
  }
}
