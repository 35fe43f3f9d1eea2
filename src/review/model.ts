// The review result: what a policy change does to recorded inputs, and how
// the changed policies fare with opa's and Regal's checks. Field names are
// API: `portcullis review --output json` prints this shape.

export type Side = 'base' | 'head';
export type Verdict = 'allow' | 'deny' | 'error';
export type FailOn = 'newly-denied' | 'any-change' | 'never';

/** One recorded input to replay: a corpus case or a decision-log event. */
export interface ReplayCase {
  /** Stable id: the case's path below its corpus folder, or the decision id. */
  readonly id: string;
  /** Where it came from: a corpus folder or file, or the decision log. */
  readonly source: string;
  /** The input document as JSON text; workers parse it, which spreads the cost over the cores. */
  readonly input: string;
  /** The text is a whole decision-log event whose `input` member is replayed: saves re-serializing each input. */
  readonly event?: boolean;
}

/** A finding reduced to what identifies it across policy versions. */
export interface ReviewFinding {
  readonly kind: 'violation' | 'warning';
  readonly rule: string;
  readonly message: string;
  readonly severity?: string;
  readonly image?: string;
  readonly id?: string;
  readonly package?: string;
  readonly location?: { readonly file: string; readonly line?: number };
}

/** One side's outcome for one input. */
export interface Outcome {
  readonly verdict: Verdict;
  readonly findings: readonly ReviewFinding[];
  /** Why evaluation failed, when verdict is error. */
  readonly error?: string;
}

/** An input whose decision or findings differ between base and head. */
export interface CaseChange {
  readonly id: string;
  readonly source: string;
  readonly image?: string;
  readonly namespace?: string;
  readonly base: Verdict;
  readonly head: Verdict;
  /** Findings head reports that base does not (newly firing). */
  readonly added: readonly ReviewFinding[];
  /** Findings base reports that head does not (no longer firing). */
  readonly removed: readonly ReviewFinding[];
  readonly errors?: { readonly base?: string; readonly head?: string };
}

export interface RuleChange {
  readonly rule: string;
  readonly kind: 'violation' | 'warning';
  /** Findings newly firing / no longer firing, over all inputs. */
  readonly added: number;
  readonly removed: number;
  /** Inputs affected. */
  readonly inputs: number;
}

export interface AffectedGroup {
  readonly name: string;
  readonly inputs: number;
  readonly newlyDenied: number;
  readonly newlyAllowed: number;
}

export interface ReplaySummary {
  readonly total: number;
  readonly unchanged: number;
  readonly changed: number;
  readonly newlyDenied: number;
  readonly newlyAllowed: number;
  /** Same verdict, different findings. */
  readonly findingsOnly: number;
  /** Inputs one side could not evaluate. */
  readonly errors: number;
  readonly verdicts: { readonly base: Record<Verdict, number>; readonly head: Record<Verdict, number> };
  readonly rules: readonly RuleChange[];
  readonly topImages: readonly AffectedGroup[];
  readonly topNamespaces: readonly AffectedGroup[];
  readonly cases: readonly CaseChange[];
}

/** An input that could not be read or has nothing to replay; reported, not fatal, so one odd file does not hide the rest. */
export interface SkippedInput {
  readonly id: string;
  readonly reason: string;
}

export type CheckName = 'fmt' | 'check' | 'test' | 'lint';

export interface Problem {
  readonly level: 'error' | 'warning';
  readonly message: string;
  readonly file?: string;
  readonly line?: number;
  /** The Regal rule, or the failing opa test's name. */
  readonly rule?: string;
}

export interface CheckResult {
  readonly name: CheckName;
  readonly status: 'pass' | 'fail' | 'unavailable';
  readonly summary: string;
  readonly problems: readonly Problem[];
}

export interface CoverageChange {
  readonly base?: number;
  readonly head?: number;
  readonly delta?: number;
}

export interface RevisionInfo {
  readonly ref: string;
  /** The commit, or "working tree" for an uncommitted head. */
  readonly commit: string;
  readonly bundle: string;
  /** The bundle definition file, relative to the repository root. */
  readonly definition: string;
}

export interface ReviewResult {
  readonly format_version: 1;
  readonly base: RevisionInfo;
  readonly head: RevisionInfo;
  readonly entrypoint: string;
  readonly checks: readonly CheckResult[];
  readonly tests: { readonly passed: number; readonly failed: number };
  readonly coverage: CoverageChange;
  readonly replay: ReplaySummary;
  readonly skipped: readonly SkippedInput[];
  readonly failOn: FailOn;
  /** Why the review fails under --fail-on; empty when it passes. */
  readonly failures: readonly string[];
}
