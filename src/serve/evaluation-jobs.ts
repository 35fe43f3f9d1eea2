import { checkOptionsFromBody, checkRequestFromBody, DECISION_ENTRYPOINT, evaluateMessagesShared, runCheck, type LoadedRevision } from '../check/index.js';
import { AppError, jsonPieces, toolInfo, utf8Bytes, type JsonValue } from '../core/index.js';
import { normalizeEntrypoint } from '../evaluate/index.js';
import { decideReport, imageVerdictOf, reportUploadOf, type ImageVerdict, type StoredScan } from '../gatekeeper/index.js';
import { getOutputFormat, toJsonReport, type ReportContext } from '../report/index.js';
import { parseJsonParts } from './body.js';

/**
 * The work of POST /v1/check, /v1/data and /v1/reports from the request
 * body's bytes to a small result: parsing, normalizing and evaluating, which
 * for a large report take seconds. Pure and self-contained, so the same
 * functions run on the event loop for small bodies and in an evaluation
 * worker (evaluator.ts) for large ones. `decide` is one image of an admission
 * review, decided as of `now`: its input as the JSON text of the stored
 * scan's part (the body), which a worker keeps parsed for the next review of
 * the image, and of the review's own fields, with those the report's
 * findings depend on (`report`), which it keeps them for.
 */
export type EvaluationJob =
  | { readonly kind: 'check'; readonly body: BodyParts; readonly output: string; readonly now: string }
  | { readonly kind: 'data'; readonly body: BodyParts; readonly path: string }
  | { readonly kind: 'report'; readonly body: BodyParts; readonly now: string }
  | { readonly kind: 'decide'; readonly body: Uint8Array; readonly own: string; readonly report: string; readonly now: string };

/** A request body as the parts it was read in (readBodyParts), read as one text where the job runs (parseJsonParts). */
export type BodyParts = readonly Uint8Array[];

export type JobResult =
  | { readonly kind: 'check'; readonly type: string; readonly bytes: Uint8Array }
  | { readonly kind: 'data'; readonly body: Readonly<Record<string, unknown>> }
  | { readonly kind: 'report'; readonly scan: StoredScan }
  | { readonly kind: 'decide'; readonly verdict: ImageVerdict };

/** The served bundle a job runs against: its name, revision, and the loaded module and data. */
export interface JobBundle {
  readonly name: string;
  readonly revision: string;
  readonly loaded: LoadedRevision;
}

/** OPA answers a POST without an `input` key with the result and this warning. */
export const MISSING_INPUT_WARNING = { code: 'api_usage_warning', message: "'input' key missing from the request" } as const;

export function runJob(job: EvaluationJob, bundle: JobBundle | undefined, maxDepth: number): JobResult {
  switch (job.kind) {
    case 'check':
      return checkJob(job, bundle, maxDepth);
    case 'data':
      return { kind: 'data', body: dataJob(job, bundle, maxDepth) };
    case 'report':
      return { kind: 'report', scan: reportJob(job, bundle, maxDepth) };
    case 'decide':
      return { kind: 'decide', verdict: imageVerdictOf(evaluateMessagesShared(decisionPolicy(bundle), job.body, job.own, new Date(job.now), job.report)) };
  }
}

function required(bundle: JobBundle | undefined): JobBundle {
  if (!bundle) throw new AppError('BUNDLE_NOT_FOUND', `no published bundle provides ${DECISION_ENTRYPOINT}`);
  return bundle;
}

/** The decision policy of the served bundle; asked for after the body was read, so a malformed body is a 400 whatever is served. */
function decisionPolicy(served: JobBundle | undefined) {
  const bundle = required(served);
  const policy = bundle.loaded.policy;
  if (!policy?.entrypoints.has(DECISION_ENTRYPOINT)) {
    throw new AppError('EVAL_ENTRYPOINT_UNKNOWN', `bundle '${bundle.name}' has no Wasm entrypoint ${DECISION_ENTRYPOINT}`);
  }
  return policy;
}

function checkJob(job: Extract<EvaluationJob, { kind: 'check' }>, bundle: JobBundle | undefined, maxDepth: number): JobResult {
  const output = getOutputFormat(job.output);
  const body = parseJsonParts(job.body, { maxDepth, invalid: 'REQUEST_INVALID' });
  if (body === undefined) throw new AppError('REQUEST_INVALID', 'request body is empty; send the inputs as a JSON object');
  const request = checkRequestFromBody(body, new Date(job.now), maxDepth);
  const result = runCheck(decisionPolicy(bundle), request, checkOptionsFromBody(body));
  const decision = result.decision;
  const context: ReportContext = {
    target: result.target,
    artifacts: [...(request.reports ?? []), request.dockerfile, request.manifest].flatMap((f) => (f ? [f.path] : [])),
    now: result.results[0]?.input.now ?? job.now,
    tool: toolInfo(),
    ...(result.results.length > 1 ? { images: result.results.map((r) => ({ target: r.target, decision: r.decision })) } : {}),
    inputWarnings: result.inputWarnings,
  };
  // The JSON report as Koa would have serialised the object: compact. Encoded here, so that a worker hands the
  // event loop bytes to write (moved, not copied) instead of a string it would copy and then encode; from
  // pieces, which stay out of the large-object space a report's whole text would be copied into (jsonPieces).
  const pieces = output.name === 'json' ? jsonPieces(toJsonReport(decision, context)) : [output.format(decision, context)];
  return { kind: 'check', type: output.mediaType, bytes: utf8Bytes(pieces) };
}

/** OPA's Data API: `{"result": ...}`, `{}` when undefined, a warning without `input`. */
function dataJob(job: Extract<EvaluationJob, { kind: 'data' }>, bundle: JobBundle | undefined, maxDepth: number): Record<string, unknown> {
  const body = parseJsonParts(job.body, { maxDepth, invalid: 'REQUEST_INVALID' });
  if (body !== undefined && !isObject(body)) throw new AppError('REQUEST_INVALID', 'request body must be a JSON object such as {"input": ...}');
  const hasInput = body !== undefined && 'input' in body;
  const warning = hasInput ? {} : { warning: MISSING_INPUT_WARNING };
  if (!bundle) return { ...warning };
  const { policy, bundle: loaded } = bundle.loaded;
  const input = hasInput ? (body['input'] as JsonValue) : undefined;
  const entrypoint = normalizeEntrypoint(job.path);
  if (policy?.entrypoints.has(entrypoint)) {
    const result = policy.evaluate(entrypoint, input);
    return result.defined ? { result: result.result, ...warning } : { ...warning };
  }
  const value = dataAt(loaded.data, job.path);
  if (value.found) return { result: value.value, ...warning };
  const known = policy ? [...policy.entrypoints].sort().join(', ') : 'none: it has no Wasm module';
  throw new AppError('EVAL_ENTRYPOINT_UNKNOWN', `${job.path || '/'} is neither an entrypoint nor data of bundle '${bundle.name}' (entrypoints: ${known})`);
}

function reportJob(job: Extract<EvaluationJob, { kind: 'report' }>, bundle: JobBundle | undefined, maxDepth: number): StoredScan {
  const upload = reportUploadOf(parseJsonParts(job.body, { maxDepth, invalid: 'REQUEST_INVALID' }));
  return decideReport(upload, decisionPolicy(bundle), new Date(job.now));
}

function dataAt(data: Record<string, JsonValue>, path: string): { found: true; value: JsonValue } | { found: false } {
  let node: JsonValue = data;
  for (const segment of path === '' ? [] : path.split('/')) {
    if (!isObject(node) || !(segment in node)) return { found: false };
    node = (node as Record<string, JsonValue>)[segment] as JsonValue;
  }
  return { found: true, value: node };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
