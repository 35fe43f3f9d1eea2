import type { ErrorCode } from '../core/index.js';

/** The one table from error codes to HTTP statuses; 5xx messages are never shown to clients. */
export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  USAGE: 400,
  CONFIG_INVALID: 500,
  INPUT_INVALID: 400,
  INPUT_TOO_LARGE: 413,
  FILE_NOT_FOUND: 404,
  TOOLCHAIN_MISSING: 500,
  TOOLCHAIN_FAILED: 500,
  COMPILE_FAILED: 422,
  DEFINITION_INVALID: 422,
  BUNDLE_INVALID: 422,
  BUNDLE_TOO_LARGE: 413,
  BUNDLE_ROOTS_OVERLAP: 422,
  BUNDLE_PATH_OUTSIDE_ROOTS: 422,
  BUNDLE_NOT_FOUND: 404,
  SIGNATURE_INVALID: 422,
  KEY_INVALID: 500,
  EVAL_ENTRYPOINT_UNKNOWN: 404,
  EVAL_FAILED: 500,
  REQUEST_INVALID: 400,
  ROUTE_NOT_FOUND: 404,
  DECISION_INVALID: 500,
  INTERNAL: 500,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  ENCODING_UNSUPPORTED: 415,
  TOKEN_NOT_FOUND: 404,
  STORE_UNAVAILABLE: 503,
  SERVER_UNREACHABLE: 502,
  NOT_READY: 503,
  LISTEN_FAILED: 500,
  GIT_REF_INVALID: 400,
  CORPUS_EMPTY: 422,
  REFERENCE_INVALID: 400,
  // Failures of an upstream registry (the OCI bundle source): a bad gateway, whoever is at fault.
  REGISTRY_AUTH_FAILED: 502,
  REGISTRY_NOT_FOUND: 502,
  REGISTRY_ARTIFACT_INVALID: 502,
  REGISTRY_TLS_FAILED: 502,
  REGISTRY_DIGEST_MISMATCH: 502,
  REGISTRY_UNAVAILABLE: 502,
  REGISTRY_FAILED: 502,
};

/** Server-side states that are not failures: their message is safe and useful to show, and not worth an error log. */
export const EXPOSED_SERVER_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['NOT_READY']);
