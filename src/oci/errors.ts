import { AppError, type ErrorCode } from '../core/index.js';
import { BodyTooLargeError, NetworkError, type HttpResponse } from './http.js';

/** Where a registry operation was when it failed: every error names the registry and the step. */
export interface Step {
  readonly registry: string;
  /** What was being done, e.g. "uploading blob sha256:1234abcd… to policies". */
  readonly step: string;
}

export function registryError(code: ErrorCode, at: Step, detail: string, cause?: unknown): AppError {
  return new AppError(code, `registry ${at.registry}: ${at.step}: ${detail}`, cause === undefined ? {} : { cause });
}

/** Codes Node gives when a certificate does not verify: the user's to fix (--ca), never a reason to fall back to HTTP. */
const CERTIFICATE_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** True when the peer answered a TLS handshake with something that is not TLS (a plain-HTTP registry). */
export function isPlainHttpPeer(err: unknown): boolean {
  return (
    err instanceof NetworkError &&
    (err.code === 'EPROTO' || err.code === 'ERR_SSL_WRONG_VERSION_NUMBER') &&
    /wrong version number|packet length too long/i.test(err.message)
  );
}

/** A transport failure as an AppError naming the registry and step. */
export function transportError(err: unknown, at: Step): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof BodyTooLargeError) return registryError('REGISTRY_FAILED', at, err.message, err);
  if (!(err instanceof NetworkError)) return registryError('REGISTRY_UNAVAILABLE', at, err instanceof Error ? err.message : String(err), err);
  if (CERTIFICATE_CODES.has(err.code)) {
    return registryError('REGISTRY_TLS_FAILED', at, `its TLS certificate is not trusted (${err.code}); give the CA that signed it with --ca`, err);
  }
  if (isPlainHttpPeer(err)) {
    return registryError('REGISTRY_TLS_FAILED', at, 'it does not speak TLS; plain HTTP is used only for loopback registries or with --insecure', err);
  }
  const detail = NETWORK_DETAIL[err.code];
  if (err.code === 'ENOTFOUND') return registryError('REGISTRY_NOT_FOUND', at, `the host name does not resolve (${err.code})`, err);
  return registryError('REGISTRY_UNAVAILABLE', at, detail ? `${detail} (${err.code})` : err.message, err);
}

const NETWORK_DETAIL: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused: nothing listens there',
  ECONNRESET: 'the registry closed the connection',
  EPIPE: 'the registry closed the connection',
  ETIMEDOUT: 'the registry stopped answering',
  EAI_AGAIN: 'the host name cannot be resolved right now',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
};

/** The registry's own words for a failed response: the distribution spec's `{"errors":[{"code","message"}]}`. */
export function describeResponse(res: HttpResponse): string {
  const codes = errorCodes(res);
  const text = codes.length > 0 ? codes.map((e) => (e.message ? `${e.code}: ${e.message}` : e.code)).join('; ') : '';
  return `HTTP ${res.status}${text ? ` (${text})` : ''}`;
}

function errorCodes(res: HttpResponse): { code: string; message?: string }[] {
  if (res.body.byteLength === 0 || res.body.byteLength > 64 * 1024) return [];
  try {
    const parsed = JSON.parse(res.body.toString('utf8')) as { errors?: unknown };
    if (!Array.isArray(parsed.errors)) return [];
    return parsed.errors
      .filter((e): e is { code: unknown; message?: unknown } => typeof e === 'object' && e !== null && 'code' in e)
      .map((e) => ({ code: String(e.code), ...(typeof e.message === 'string' ? { message: e.message } : {}) }));
  } catch {
    return [];
  }
}

/** An unexpected status as an AppError: 404 is the user's (wrong name), 5xx and 429 the registry's, the rest a protocol failure. */
export function responseError(res: HttpResponse, at: Step): AppError {
  const what = describeResponse(res);
  if (res.status === 401 || res.status === 403) return registryError('REGISTRY_AUTH_FAILED', at, `access denied, ${what}`);
  if (res.status === 404) return registryError('REGISTRY_NOT_FOUND', at, `not found (no such repository, tag or digest), ${what}`);
  if (res.status >= 500 || res.status === 429) return registryError('REGISTRY_UNAVAILABLE', at, what);
  return registryError('REGISTRY_FAILED', at, `unexpected answer, ${what}`);
}
