import type { Decision } from './model.js';

/** What a parser could not read fully in one report (the normalized input's `reports[].warnings`). */
export interface InputWarnings {
  readonly file: string;
  readonly format: string;
  readonly warnings: readonly { readonly code: string; readonly message: string; readonly path: string }[];
}

/** One scanned image's own decision, when a check covered several. */
export interface ImageDecision {
  readonly target: string;
  readonly decision: Decision;
  /** The report files of this image, so findings inside it are attributed to them. */
  readonly reports?: readonly string[];
}

/** A rule's documentation, from the `# METADATA` of the policy that defines it. */
export interface RuleHelp {
  readonly title: string;
  readonly description: string | null;
  readonly practice: string | null;
}

/** What a formatter knows besides the decision: it never reads files, the clock or the environment. */
export interface ReportContext {
  /** What was checked, e.g. the image reference; titles, JUnit suite names and the SARIF fallback location use it. */
  readonly target: string;
  /** The scanned files (reports, Dockerfile, manifest) as the user named them; findings without a file location point at the first. */
  readonly artifacts: readonly string[];
  /** The evaluation time (RFC 3339), printed so a report says when it was decided. */
  readonly now?: string;
  readonly tool: { readonly name: string; readonly version: string };
  /** Per image, when reports of several images were checked (the decision above is then the worst of them). */
  readonly images?: readonly ImageDecision[];
  /** Entries of the reports that were skipped or not fully read, per report. */
  readonly inputWarnings?: readonly InputWarnings[];
  /** Rule documentation by rule id, for formats that describe rules (SARIF). */
  readonly rules?: Readonly<Record<string, RuleHelp>>;
  /** How to print a file path (e.g. relative to the working directory); paths not listed print as given. */
  readonly paths?: Readonly<Record<string, string>>;
  /** Where inside the image a vulnerable package sits, by findingKey(finding). */
  readonly packagePaths?: Readonly<Record<string, string>>;
}

/** Identifies a vulnerability finding's package in an image, for `packagePaths`. */
export function findingKey(image: string | undefined | null, id: string | undefined, pkg: string | undefined, version: string | undefined): string {
  return JSON.stringify([image ?? '', id ?? '', pkg ?? '', version ?? '']);
}

/** A report format: a pure function from a decision to text. */
export type Formatter = (decision: Decision, context: ReportContext) => string;
