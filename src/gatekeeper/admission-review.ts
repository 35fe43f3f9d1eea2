import { AppError } from '../core/index.js';

/** The parts of an admission.k8s.io/v1 AdmissionRequest the webhook reads. */
export interface AdmissionRequestFacts {
  readonly uid: string;
  readonly operation: string;
  readonly namespace: string | null;
  readonly username: string | null;
  readonly dryRun: boolean;
  readonly hasObject: boolean;
}

export interface AdmissionVerdict {
  readonly allowed: boolean;
  /** Reasons for a denial, most important first. */
  readonly reasons: readonly string[];
  readonly warnings: readonly string[];
  /** e.g. "Deployment prod/api", for the status message. */
  readonly subject: string;
}

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';

/** Checks the envelope; the object inside is left to parseManifest. */
export function admissionRequestOf(body: unknown): AdmissionRequestFacts {
  const bad = (message: string): never => {
    throw new AppError('REQUEST_INVALID', `not an AdmissionReview: ${message}`);
  };
  const review = record(body) ?? bad('the body must be a JSON object');
  if (review['kind'] !== 'AdmissionReview') bad('kind must be AdmissionReview');
  if (review['apiVersion'] !== ADMISSION_API_VERSION)
    bad(`apiVersion must be ${ADMISSION_API_VERSION} (configure the webhook with admissionReviewVersions: ["v1"])`);
  const request = record(review['request']) ?? bad('request must be an object');
  const uid = request['uid'];
  if (typeof uid !== 'string' || uid === '') bad('request.uid must be a non-empty string');
  const operation = request['operation'];
  if (typeof operation !== 'string') bad('request.operation must be a string');
  const object = request['object'];
  return {
    uid: uid as string,
    operation: operation as string,
    namespace: typeof request['namespace'] === 'string' ? request['namespace'] : null,
    username: typeof record(request['userInfo'])?.['username'] === 'string' ? (record(request['userInfo'])?.['username'] as string) : null,
    dryRun: request['dryRun'] === true,
    hasObject: object !== null && object !== undefined,
  };
}

// Kubernetes shows the message to the user; warnings over 256 characters or
// beyond a few KiB in total may be dropped, so both are kept short.
const MAX_MESSAGE = 1024;
const MAX_WARNING = 256;
const MAX_WARNINGS = 20;
const MAX_REASONS = 5;

/** The AdmissionReview answer: uid echoed, allowed, a short status message, warnings. */
export function admissionResponse(uid: string, verdict: AdmissionVerdict): Record<string, unknown> {
  const response: Record<string, unknown> = { uid, allowed: verdict.allowed };
  if (!verdict.allowed) response['status'] = { code: 403, reason: 'Forbidden', message: denialMessage(verdict) };
  const warnings = verdict.warnings.slice(0, MAX_WARNINGS).map((w) => clip(w, MAX_WARNING));
  if (verdict.warnings.length > MAX_WARNINGS) warnings.push(`portcullis: ${verdict.warnings.length - MAX_WARNINGS} more warnings not shown`);
  if (warnings.length > 0) response['warnings'] = warnings;
  return { apiVersion: ADMISSION_API_VERSION, kind: 'AdmissionReview', response };
}

function denialMessage(verdict: AdmissionVerdict): string {
  const shown = verdict.reasons.slice(0, MAX_REASONS);
  const more = verdict.reasons.length > MAX_REASONS ? ` (and ${verdict.reasons.length - MAX_REASONS} more)` : '';
  return clip(`portcullis denied ${verdict.subject}: ${shown.join('; ')}${more}`, MAX_MESSAGE);
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
