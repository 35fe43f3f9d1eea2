import type { JsonValue } from '../core/index.js';
import type { Decision as Evaluation, SharedOptions, WasmPolicy } from '../evaluate/index.js';
import { AppError } from '../core/index.js';
import { normalizeByImage, normalizeFilesByImage, parseNow, type NormalizedInput, type NormalizeFilesRequest, type NormalizeRequest } from '../inputs/index.js';
import { warningCodes, type Decision, type ExceptionRecord, type ImageDecision, type InputWarnings } from '../report/index.js';
import { assertAdmissionVerdict, assertDecision } from './decision-schema.js';

/** The policy library's decision rule: `data.portcullis.scan.decision`. */
export const DECISION_ENTRYPOINT = 'portcullis/scan/decision';

/**
 * The findings of the report and Dockerfile alone, as sorted entries, which
 * the library's decision takes from input.report_entries when given
 * (policies/scan/decision.rego); a policy without it decides whole.
 */
export const REPORT_ENTRYPOINT = 'portcullis/scan/report_entries';

/**
 * What an admission review reads of an image's decision (DecisionMessages),
 * which the library gives without the rest of each finding; a policy
 * without it is decided whole and its messages taken from the decision.
 */
export const VERDICT_ENTRYPOINT = 'portcullis/scan/admission_verdict';

/** The messages of a decision's violations (`reasons`) and warnings, and its expired exceptions. */
export interface DecisionMessages {
  readonly reasons: readonly string[];
  readonly warnings: readonly string[];
  readonly expired_exceptions: readonly ExceptionRecord[];
}

/** The part of a loaded policy a check needs; WasmPolicy provides it. `now` fixes time.now_ns() for the evaluation. */
export interface DecisionPolicy {
  evaluate(entrypoint: string, input: JsonValue | undefined, options?: { readonly now?: Date }): Evaluation;
}

export interface CheckOptions {
  /** Any entry a parser could not fully read fails the check (INPUT_INCOMPLETE) instead of being reported. */
  readonly strict?: boolean;
}

export interface ImageResult extends ImageDecision {
  readonly input: NormalizedInput;
}

export interface CheckResult {
  /** One per scanned image (reports of one image are merged). */
  readonly results: readonly ImageResult[];
  /** Overall: deny when any image is denied; every image's findings, each once. */
  readonly decision: Decision;
  /** The image, or "N images: a, b" */
  readonly target: string;
  readonly inputWarnings: readonly InputWarnings[];
}

/** Evaluates the decision rule on a normalized input, with `time.now_ns()` fixed to the input's `now`. */
export function evaluateDecision(policy: DecisionPolicy, input: NormalizedInput, entrypoint = DECISION_ENTRYPOINT): Decision {
  return decisionOf(policy.evaluate(entrypoint, input as unknown as JsonValue, { now: parseNow(input.now) }), entrypoint);
}

function decisionOf(result: Evaluation, entrypoint: string): Decision {
  return assertDecision(definedResult(result, entrypoint), `the decision of ${entrypoint}`);
}

function definedResult(result: Evaluation, entrypoint: string): unknown {
  if (!result.defined) {
    throw new AppError('DECISION_INVALID', `the policy left ${entrypoint} undefined for this input; it must always return a decision`);
  }
  return result.result;
}

/** As evaluateDecision, on an input that is JSON text already (its `now` given apart), so it is not serialized again. */
export function evaluateDecisionText(policy: WasmPolicy, text: string, now: Date, entrypoint = DECISION_ENTRYPOINT): Decision {
  return decisionOf(policy.evaluate(entrypoint, policy.prepareText(text), { now }), entrypoint);
}

/**
 * As evaluateDecisionText, on the input `{...shared, ...own}` given as two
 * objects' JSON text: the shared part (a stored scan's input, decided for
 * every workload that runs its image) is parsed once per policy instance
 * and kept (WasmPolicy.evaluateShared). With `report`, the JSON text of the
 * own fields the report's findings depend on (`{"metadata": ...}`), and a
 * policy that has REPORT_ENTRYPOINT, those findings are evaluated once per
 * shared part and `report`, kept, and given to the decision as
 * input.report_entries: most of deciding a report with hundreds of
 * vulnerabilities, done once for the workloads that run its image.
 */
export function evaluateDecisionShared(policy: WasmPolicy, shared: string | Uint8Array, own: string, now: Date, report?: string): Decision {
  return decisionOf(policy.evaluateShared(DECISION_ENTRYPOINT, shared, own, sharedOptions(policy, now, report)), DECISION_ENTRYPOINT);
}

/**
 * As evaluateDecisionShared, for the decision's messages alone: from
 * VERDICT_ENTRYPOINT when the policy has it, so the rest of each finding is
 * neither written out of the module nor parsed, which was about a third of
 * deciding an image with hundreds of findings whose report's entries are kept.
 */
export function evaluateMessagesShared(policy: WasmPolicy, shared: string | Uint8Array, own: string, now: Date, report?: string): DecisionMessages {
  if (!policy.entrypoints.has(VERDICT_ENTRYPOINT)) return messagesOf(evaluateDecisionShared(policy, shared, own, now, report));
  const result = policy.evaluateShared(VERDICT_ENTRYPOINT, shared, own, sharedOptions(policy, now, report));
  return assertAdmissionVerdict(definedResult(result, VERDICT_ENTRYPOINT), `the verdict of ${VERDICT_ENTRYPOINT}`);
}

export function messagesOf(decision: Decision): DecisionMessages {
  return {
    reasons: decision.violations.map((f) => f.message),
    warnings: decision.warnings.map((f) => f.message),
    expired_exceptions: decision.expired_exceptions,
  };
}

function sharedOptions(policy: WasmPolicy, now: Date, report: string | undefined): SharedOptions {
  const derived = report !== undefined && policy.entrypoints.has(REPORT_ENTRYPOINT);
  return { now, ...(derived ? { derived: { name: 'report_entries', entrypoint: REPORT_ENTRYPOINT, own: report } } : {}) };
}

/** The check use case on in-memory inputs (the HTTP API): normalize per image, then decide each. */
export function runCheck(policy: DecisionPolicy, request: NormalizeRequest, options: CheckOptions = {}): CheckResult {
  return decideAll(policy, normalizeByImage(request), options, 'request');
}

/** The check use case on files (the CLI): read and normalize them per image, then decide each. */
export async function runCheckFiles(policy: DecisionPolicy, request: NormalizeFilesRequest, options: CheckOptions = {}): Promise<CheckResult> {
  return decideAll(policy, await normalizeFilesByImage(request), options, 'input');
}

function decideAll(policy: DecisionPolicy, inputs: readonly NormalizedInput[], options: CheckOptions, fallback: string): CheckResult {
  const inputWarnings = inputs.flatMap((input) => input.reports.map((r) => ({ file: r.file, format: r.format, warnings: r.warnings })));
  if (options.strict) assertComplete(inputWarnings);
  const results = inputs.map((input) => ({ input, target: targetOf(input, fallback), decision: evaluateDecision(policy, input) }));
  const target = results.length === 1 ? (results[0]?.target ?? fallback) : `${results.length} images: ${results.map((r) => r.target).join(', ')}`;
  return { results, decision: worstOf(results.map((r) => r.decision)), target, inputWarnings };
}

/** `--strict`: a gate that must not decide on a partly read report. */
function assertComplete(list: readonly InputWarnings[]): void {
  const incomplete = list.filter((r) => r.warnings.length > 0);
  if (incomplete.length === 0) return;
  const lines = incomplete.map((r) => `  ${r.file}: ${warningCodes(r.warnings)}`);
  const total = incomplete.reduce((n, r) => n + r.warnings.length, 0);
  throw new AppError('INPUT_INCOMPLETE', `--strict: ${total} report entries could not be fully read:\n${lines.join('\n')}`, {
    details: incomplete.flatMap((r) => r.warnings.map((w) => ({ file: r.file, path: w.path, message: `${w.code}: ${w.message}` }))),
  });
}

/** deny when any is; the findings and exceptions of all, each once (context inputs give the same finding for every image). */
export function worstOf(decisions: readonly Decision[]): Decision {
  if (decisions.length === 1 && decisions[0]) return decisions[0];
  const unique = <T>(lists: readonly (readonly T[])[]): T[] => {
    const seen = new Set<string>();
    return lists.flat().filter((item) => {
      const key = JSON.stringify(item);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  };
  return {
    decision: decisions.some((d) => d.decision === 'deny') ? 'deny' : 'allow',
    violations: unique(decisions.map((d) => d.violations)),
    warnings: unique(decisions.map((d) => d.warnings)),
    exceptions: unique(decisions.map((d) => d.exceptions)),
    expired_exceptions: unique(decisions.map((d) => d.expired_exceptions)),
  };
}

/** What a report names as the checked target: the image reference, else the first report file. */
export function targetOf(input: NormalizedInput, fallback: string): string {
  return input.image.ref ?? input.image.name ?? input.reports[0]?.file ?? input.dockerfile?.path ?? fallback;
}
