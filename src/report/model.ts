// The decision the image policy returns (data.portcullis.scan.decision) and
// every output format renders. Field names are API: `--output json` prints
// this shape, documented in docs/decision-format.md.

import type { Severity } from '../core/index.js';

export type { Severity };

export type Enforcement = 'deny' | 'warn' | 'off';

/** Where a finding points, when it is about a file (a Dockerfile line, a manifest). */
export interface FindingLocation {
  readonly file: string;
  readonly line?: number;
}

/** One rule firing on one subject (an image, a vulnerability, a Dockerfile instruction). */
export interface Finding {
  /** Stable rule id, e.g. `vulnerability_severity`, `mutable_tag`, `run_as_root`. */
  readonly rule: string;
  readonly message: string;
  readonly severity: Severity;
  /** The rule's enforcement mode that put this finding among violations (deny) or warnings (warn). */
  readonly enforcement: Exclude<Enforcement, 'off'>;
  readonly title?: string;
  /** The image-scanning practice the rule implements. */
  readonly practice?: string;
  readonly image?: string;
  /** For vulnerability findings: the CVE or advisory id and the package. */
  readonly id?: string;
  readonly package?: string;
  readonly installed_version?: string;
  readonly fixed_version?: string;
  readonly location?: FindingLocation;
}

/** An exception as written in the settings: what it covers, why, until when. */
export interface ExpiredException {
  readonly rule: string;
  readonly reason: string;
  readonly expires: string;
  readonly id?: string;
  readonly package?: string;
  readonly image?: string;
  readonly namespace?: string;
}

/** An exception that suppressed a finding in this evaluation, with the finding. */
export interface AppliedException extends ExpiredException {
  readonly finding: Finding;
}

/** Either kind, for code that renders both. */
export type ExceptionRecord = ExpiredException & { readonly finding?: Finding };

export interface Decision {
  readonly decision: 'allow' | 'deny';
  readonly violations: readonly Finding[];
  readonly warnings: readonly Finding[];
  /** Exceptions that suppressed findings in this evaluation. */
  readonly exceptions: readonly AppliedException[];
  /** Exceptions past their expiry date: they no longer apply and are reported so they get renewed or removed. */
  readonly expired_exceptions: readonly ExpiredException[];
}
