import { AppError } from '../core/index.js';
import { parseImageRef } from '../inputs/index.js';
import type { Decision } from '../report/index.js';
import type { ScanResults, StoredScan } from './scans.js';

// Gatekeeper's external-data wire format (frameworks/constraint/pkg/externaldata).
export const PROVIDER_API_VERSION = 'externaldata.gatekeeper.sh/v1beta1';

export interface ProviderItem {
  readonly key: string;
  readonly value?: ScanVerdict;
  readonly error?: string;
}

export interface ProviderResponse {
  readonly apiVersion: typeof PROVIDER_API_VERSION;
  readonly kind: 'ProviderResponse';
  readonly response: { readonly idempotent: true; readonly items: readonly ProviderItem[]; readonly systemError?: string };
}

/** What the scan-verdict template reads from each item's value. */
export interface ScanVerdict {
  readonly decision: 'allow' | 'deny' | 'unscanned';
  readonly summary: string;
  readonly digest: string;
  readonly violations?: number;
  readonly warnings?: number;
  readonly scanned_at?: string;
  /** Set when the verdict is the current one of a namespace: where, in which environment, under which revision, when. */
  readonly namespace?: string | null;
  readonly environment?: string | null;
  readonly revision?: string;
  readonly evaluated_at?: string;
}

/** One key as the template sends it: `<namespace>|<image>`, or a bare image reference. */
export interface VerdictKey {
  readonly digest: string;
  readonly namespace: string | null;
}

/** Looks up a verdict for each key, in order. */
export type VerdictLookup = (keys: readonly VerdictKey[]) => Promise<readonly ScanVerdict[]>;

/** The verdict stored with each digest's latest scan: the fallback when the server keeps no inventory. */
export function storedVerdicts(scans: ScanResults): VerdictLookup {
  return async (keys) => {
    const found = await scans.getMany(keys.map((k) => k.digest));
    return keys.map((k) => {
      const scan = found.get(k.digest);
      return scan ? verdictOf(scan) : { decision: 'unscanned' as const, digest: k.digest, summary: `no scan result is stored for ${k.digest}` };
    });
  };
}

/** Gatekeeper batches every image of an object; far more than this is not a real request. */
export const MAX_PROVIDER_KEYS = 1000;
const MAX_KEY_LENGTH = 4096;

/** The keys of a ProviderRequest; anything else is a REQUEST_INVALID naming what is wrong. */
export function parseProviderRequest(body: unknown): string[] {
  const bad = (message: string): never => {
    throw new AppError('REQUEST_INVALID', `not a ProviderRequest: ${message}`);
  };
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return bad('the body must be a JSON object');
  const b = body as Record<string, unknown>;
  if (b['apiVersion'] !== PROVIDER_API_VERSION) bad(`apiVersion must be ${PROVIDER_API_VERSION}`);
  if (b['kind'] !== 'ProviderRequest') bad('kind must be ProviderRequest');
  const request = b['request'];
  if (typeof request !== 'object' || request === null || Array.isArray(request)) return bad('request must be an object with keys');
  const keys = (request as Record<string, unknown>)['keys'];
  if (!Array.isArray(keys)) return bad('request.keys must be a list of image references');
  if (keys.length > MAX_PROVIDER_KEYS) throw new AppError('INPUT_TOO_LARGE', `not a ProviderRequest: more than ${MAX_PROVIDER_KEYS} keys`);
  keys.forEach((k, i) => {
    if (typeof k !== 'string' || k.length === 0 || k.length > MAX_KEY_LENGTH) bad(`request.keys[${i}] must be a non-empty string`);
  });
  return keys as string[];
}

/** One item per key, in order; keys that cannot be looked up get a per-key error, never a failed batch. */
export async function answerKeys(keys: readonly string[], lookup: VerdictLookup): Promise<ProviderResponse> {
  const parsed = keys.map(keyOf);
  const valid = parsed.flatMap((p) => ('error' in p ? [] : [p]));
  const verdicts = await lookup(valid);
  let next = 0;
  const items = keys.map((key, i): ProviderItem => {
    const p = parsed[i];
    if (!p || 'error' in p) return { key, error: p?.error ?? 'invalid key' };
    const value = verdicts[next++];
    return value ? { key, value } : { key, error: 'no verdict' };
  });
  return providerResponse(items);
}

const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function keyOf(key: string): VerdictKey | { error: string } {
  const bar = key.indexOf('|');
  const namespace = bar === -1 ? null : key.slice(0, bar);
  if (namespace !== null && namespace !== '' && !NAMESPACE.test(namespace)) return { error: `'${namespace}' is not a namespace name` };
  const digest = digestOf(bar === -1 ? key : key.slice(bar + 1));
  return typeof digest === 'string' ? { digest, namespace: namespace || null } : digest;
}

export function providerResponse(items: readonly ProviderItem[], systemError?: string): ProviderResponse {
  return {
    apiVersion: PROVIDER_API_VERSION,
    kind: 'ProviderResponse',
    response: { idempotent: true, items, ...(systemError === undefined ? {} : { systemError }) },
  };
}

function digestOf(key: string): string | { error: string } {
  const ref = parseImageRef(key);
  if (!ref) return { error: 'not a valid image reference' };
  if (!ref.digest?.startsWith('sha256:')) return { error: 'the image is not pinned by a sha256 digest; scan results are looked up by digest' };
  return ref.digest;
}

export function verdictOf(scan: StoredScan): ScanVerdict {
  return {
    decision: scan.decision.decision,
    summary: summaryOf(scan.decision),
    digest: scan.digest,
    violations: scan.decision.violations.length,
    warnings: scan.decision.warnings.length,
    scanned_at: scan.storedAt,
  };
}

/** The first reasons, short enough for a kubectl error line. */
export function summaryOf(decision: Decision, max = 3): string {
  const list = decision.decision === 'deny' ? decision.violations : decision.warnings;
  if (list.length === 0) return decision.decision === 'deny' ? 'denied' : 'no findings';
  const shown = list.slice(0, max).map((f) => f.message);
  return list.length > max ? `${shown.join('; ')} (and ${list.length - max} more)` : shown.join('; ');
}
