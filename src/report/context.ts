import type { Decision } from './model.js';

/** What a formatter knows besides the decision: it never reads files, the clock or the environment. */
export interface ReportContext {
  /** What was checked, e.g. the image reference; titles, JUnit suite names and the SARIF fallback location use it. */
  readonly target: string;
  /** The scanned files (reports, Dockerfile, manifest) as the user named them; findings without a file location point at the first. */
  readonly artifacts: readonly string[];
  /** The evaluation time (RFC 3339), printed so a report says when it was decided. */
  readonly now?: string;
  readonly tool: { readonly name: string; readonly version: string };
}

/** A report format: a pure function from a decision to text. */
export type Formatter = (decision: Decision, context: ReportContext) => string;
