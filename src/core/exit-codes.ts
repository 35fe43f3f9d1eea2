import type { ErrorCode } from './errors.js';

/** Conftest-style exit codes: 0 pass, 1 policy failure, 2 usage or input error, 3 internal or toolchain error. */
export const EXIT = { OK: 0, FAIL: 1, USAGE: 2, INTERNAL: 3 } as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * The one table from error codes to exit codes, the same in every command:
 * a new code does not compile until it is given one here. Only a verdict is
 * 1 (a signature an agent would refuse); a policy that does not compile is
 * the user's input, so 2, in `build`, `check --policies` and `review` alike.
 */
export const EXIT_CODES: Readonly<Record<ErrorCode, ExitCode>> = {
  USAGE: EXIT.USAGE,
  CONFIG_INVALID: EXIT.USAGE,
  INPUT_INVALID: EXIT.USAGE,
  INPUT_TOO_LARGE: EXIT.USAGE,
  FILE_NOT_FOUND: EXIT.USAGE,
  TOOLCHAIN_MISSING: EXIT.INTERNAL,
  TOOLCHAIN_FAILED: EXIT.INTERNAL,
  COMPILE_FAILED: EXIT.USAGE,
  DEFINITION_INVALID: EXIT.USAGE,
  BUNDLE_INVALID: EXIT.USAGE,
  BUNDLE_TOO_LARGE: EXIT.USAGE,
  BUNDLE_ROOTS_OVERLAP: EXIT.USAGE,
  BUNDLE_PATH_OUTSIDE_ROOTS: EXIT.USAGE,
  BUNDLE_NOT_FOUND: EXIT.USAGE,
  SIGNATURE_INVALID: EXIT.FAIL,
  KEY_INVALID: EXIT.USAGE,
  EVAL_ENTRYPOINT_UNKNOWN: EXIT.USAGE,
  EVAL_FAILED: EXIT.INTERNAL,
  REQUEST_INVALID: EXIT.USAGE,
  REQUEST_ABORTED: EXIT.USAGE,
  ROUTE_NOT_FOUND: EXIT.USAGE,
  METHOD_NOT_ALLOWED: EXIT.USAGE,
  DECISION_INVALID: EXIT.INTERNAL,
  INTERNAL: EXIT.INTERNAL,
  UNAUTHENTICATED: EXIT.USAGE,
  FORBIDDEN: EXIT.USAGE,
  ENCODING_UNSUPPORTED: EXIT.USAGE,
  TOKEN_NOT_FOUND: EXIT.USAGE,
  STORE_UNAVAILABLE: EXIT.INTERNAL,
  SERVER_UNREACHABLE: EXIT.INTERNAL,
  SERVER_BUSY: EXIT.INTERNAL,
  NOT_READY: EXIT.INTERNAL,
  LISTEN_FAILED: EXIT.INTERNAL,
  GIT_REF_INVALID: EXIT.USAGE,
  CORPUS_EMPTY: EXIT.USAGE,
  REPORT_UNSUPPORTED: EXIT.USAGE,
  REPORT_EMPTY: EXIT.USAGE,
  INPUT_INCOMPLETE: EXIT.USAGE,
  // Registry problems the user can fix: the reference, the credentials, the artifact named, the CA to trust.
  REFERENCE_INVALID: EXIT.USAGE,
  REGISTRY_AUTH_FAILED: EXIT.USAGE,
  REGISTRY_NOT_FOUND: EXIT.USAGE,
  REGISTRY_ARTIFACT_INVALID: EXIT.USAGE,
  REGISTRY_TLS_FAILED: EXIT.USAGE,
  // The registry's own failures.
  REGISTRY_DIGEST_MISMATCH: EXIT.INTERNAL,
  REGISTRY_UNAVAILABLE: EXIT.INTERNAL,
  REGISTRY_FAILED: EXIT.INTERNAL,
};

export function exitCodeFor(code: ErrorCode): ExitCode {
  return EXIT_CODES[code];
}
