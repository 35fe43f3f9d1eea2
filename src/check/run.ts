import type { JsonValue } from '../core/index.js';
import type { Decision as Evaluation } from '../evaluate/index.js';
import { AppError } from '../core/index.js';
import { normalize, normalizeFiles, parseNow, type NormalizedInput, type NormalizeFilesRequest, type NormalizeRequest } from '../inputs/index.js';
import type { Decision } from '../report/index.js';
import { assertDecision } from './decision-schema.js';

/** The policy library's decision rule: `data.portcullis.scan.decision`. */
export const DECISION_ENTRYPOINT = 'portcullis/scan/decision';

/** The part of a loaded policy a check needs; WasmPolicy provides it. `now` fixes time.now_ns() for the evaluation. */
export interface DecisionPolicy {
  evaluate(entrypoint: string, input: JsonValue | undefined, options?: { readonly now?: Date }): Evaluation;
}

export interface CheckResult {
  readonly input: NormalizedInput;
  readonly decision: Decision;
}

/** Evaluates the decision rule on a normalized input, with `time.now_ns()` fixed to the input's `now`. */
export function evaluateDecision(policy: DecisionPolicy, input: NormalizedInput, entrypoint = DECISION_ENTRYPOINT): Decision {
  const result = policy.evaluate(entrypoint, input as unknown as JsonValue, { now: parseNow(input.now) });
  if (!result.defined) {
    throw new AppError('DECISION_INVALID', `the policy left ${entrypoint} undefined for this input; it must always return a decision`);
  }
  return assertDecision(result.result, `the decision of ${entrypoint}`);
}

/** The check use case on in-memory inputs (the HTTP API): normalize, then decide. */
export function runCheck(policy: DecisionPolicy, request: NormalizeRequest): CheckResult {
  const input = normalize(request);
  return { input, decision: evaluateDecision(policy, input) };
}

/** The check use case on files (the CLI): read and normalize them, then decide. */
export async function runCheckFiles(policy: DecisionPolicy, request: NormalizeFilesRequest): Promise<CheckResult> {
  const input = await normalizeFiles(request);
  return { input, decision: evaluateDecision(policy, input) };
}

/** What a report names as the checked target: the image reference, else the first report file. */
export function targetOf(input: NormalizedInput, fallback: string): string {
  return input.image.ref ?? input.image.name ?? input.reports[0]?.file ?? input.dockerfile?.path ?? fallback;
}
