import { evaluateDecision, type DecisionPolicy } from '../check/index.js';
import { AppError } from '../core/index.js';
import { normalize, parseImageRef } from '../inputs/index.js';
import type { StoredScan } from './scans.js';

/** `POST /v1/reports`: a scan report from CI and the image it was taken of. */
export interface ReportUpload {
  /** The scanned image; its digest is the storage key unless the report names one. */
  readonly image: string;
  /** The report itself (Trivy, Grype, SARIF, CycloneDX, Trivy Operator), as JSON or text. */
  readonly report: unknown;
  readonly format?: string;
}

export function reportUploadOf(body: unknown): ReportUpload {
  const b = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
  if (!b) throw new AppError('REQUEST_INVALID', 'the body must be a JSON object {"image": ..., "report": ..., "format"?: ...}');
  if (typeof b['image'] !== 'string' || !parseImageRef(b['image']))
    throw new AppError('REQUEST_INVALID', '"image" must be an image reference, ideally name@sha256:...');
  if (b['report'] === undefined || b['report'] === null) throw new AppError('REQUEST_INVALID', '"report" is missing');
  if (b['format'] !== undefined && typeof b['format'] !== 'string') throw new AppError('REQUEST_INVALID', '"format" must be a string');
  return { image: b['image'], report: b['report'], ...(typeof b['format'] === 'string' ? { format: b['format'] } : {}) };
}

/** Normalizes the report and decides it with the image policy: the scan result to store under the image digest. */
export function decideReport(upload: ReportUpload, policy: DecisionPolicy, now: Date): StoredScan {
  const text = typeof upload.report === 'string' ? upload.report : JSON.stringify(upload.report);
  const input = normalize({ reports: [{ path: 'report', bytes: Buffer.from(text, 'utf8'), format: upload.format }], now });
  const digest = parseImageRef(upload.image)?.digest ?? input.image.digest;
  if (!digest?.startsWith('sha256:')) {
    throw new AppError(
      'REQUEST_INVALID',
      `no sha256 digest for ${upload.image}: name the image as name@sha256:... (neither the reference nor the report gives one)`,
    );
  }
  const decision = evaluateDecision(policy, input);
  return { digest, image: upload.image, input, decision, storedAt: now.toISOString() };
}
