import type { ErrorCode } from './errors.js';

/** Conftest-style exit codes: 0 pass, 1 policy failure, 2 usage or input error, 3 internal or toolchain error. */
export const EXIT = { OK: 0, FAIL: 1, USAGE: 2, INTERNAL: 3 } as const;

const USAGE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'USAGE',
  'CONFIG_INVALID',
  'INPUT_INVALID',
  'INPUT_TOO_LARGE',
  'FILE_NOT_FOUND',
  'DEFINITION_INVALID',
  'BUNDLE_INVALID',
  'BUNDLE_TOO_LARGE',
  'BUNDLE_ROOTS_OVERLAP',
  'BUNDLE_PATH_OUTSIDE_ROOTS',
  'BUNDLE_NOT_FOUND',
  'KEY_INVALID',
  'EVAL_ENTRYPOINT_UNKNOWN',
  'REQUEST_INVALID',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'ENCODING_UNSUPPORTED',
  'TOKEN_NOT_FOUND',
  'GIT_REF_INVALID',
  'CORPUS_EMPTY',
  'REPORT_UNSUPPORTED',
  'REPORT_EMPTY',
  'INPUT_INCOMPLETE',
  // Registry problems the user can fix: the reference, the credentials, the artifact named, the CA to trust.
  'REFERENCE_INVALID',
  'REGISTRY_AUTH_FAILED',
  'REGISTRY_NOT_FOUND',
  'REGISTRY_ARTIFACT_INVALID',
  'REGISTRY_TLS_FAILED',
]);

const FAIL_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['COMPILE_FAILED', 'SIGNATURE_INVALID']);

export function exitCodeFor(code: ErrorCode): number {
  if (FAIL_CODES.has(code)) return EXIT.FAIL;
  if (USAGE_CODES.has(code)) return EXIT.USAGE;
  return EXIT.INTERNAL;
}
