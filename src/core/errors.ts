// Typed errors with stable codes. Codes are API: add new ones, never rename.

export type ErrorCode =
  | 'USAGE'
  | 'CONFIG_INVALID'
  | 'INPUT_INVALID'
  | 'INPUT_TOO_LARGE'
  | 'FILE_NOT_FOUND'
  | 'TOOLCHAIN_MISSING'
  | 'TOOLCHAIN_FAILED'
  | 'COMPILE_FAILED'
  | 'DEFINITION_INVALID'
  | 'BUNDLE_INVALID'
  | 'BUNDLE_TOO_LARGE'
  | 'BUNDLE_ROOTS_OVERLAP'
  | 'BUNDLE_PATH_OUTSIDE_ROOTS'
  | 'BUNDLE_NOT_FOUND'
  | 'SIGNATURE_INVALID'
  | 'KEY_INVALID'
  | 'EVAL_ENTRYPOINT_UNKNOWN'
  | 'EVAL_FAILED'
  | 'REQUEST_INVALID'
  | 'ROUTE_NOT_FOUND'
  | 'DECISION_INVALID'
  | 'INTERNAL'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'ENCODING_UNSUPPORTED'
  | 'TOKEN_NOT_FOUND'
  | 'STORE_UNAVAILABLE'
  | 'SERVER_UNREACHABLE'
  | 'NOT_READY'
  | 'LISTEN_FAILED'
  | 'GIT_REF_INVALID'
  | 'CORPUS_EMPTY'
  | 'REPORT_UNSUPPORTED'
  | 'REPORT_EMPTY'
  | 'INPUT_INCOMPLETE'
  | 'REFERENCE_INVALID'
  | 'REGISTRY_AUTH_FAILED'
  | 'REGISTRY_NOT_FOUND'
  | 'REGISTRY_ARTIFACT_INVALID'
  | 'REGISTRY_TLS_FAILED'
  | 'REGISTRY_DIGEST_MISMATCH'
  | 'REGISTRY_UNAVAILABLE'
  | 'REGISTRY_FAILED';

/** One offending location inside an input: a file, a JSON path or a line. */
export interface ErrorDetail {
  readonly message: string;
  readonly file?: string;
  readonly path?: string;
  readonly line?: number;
  readonly column?: number;
}

export interface AppErrorOptions {
  readonly cause?: unknown;
  readonly details?: readonly ErrorDetail[];
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: readonly ErrorDetail[];

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details ?? [];
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

/** Message of any thrown value, for wrapping foreign errors (strings, plain objects). */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  if (typeof err === 'object' && err !== null && 'message' in err) {
    return String(err.message);
  }
  return String(err);
}

/** Rethrows `err` as an AppError with `code`, keeping the cause and its message. */
export function wrapError(err: unknown, code: ErrorCode, message: string): never {
  if (isAppError(err)) throw err;
  throw new AppError(code, `${message}: ${messageOf(err)}`, { cause: err });
}
