import type { Context, Next } from 'koa';
import type { Logger } from 'pino';
import { AppError, isAppError, messageOf, wrapError } from '../core/index.js';
import { EXPOSED_SERVER_CODES, HTTP_STATUS } from './errors.js';

/**
 * Turns every failure into a JSON envelope `{code, message}`. Client errors
 * say what was wrong and are logged at debug level only (a client that
 * disconnects mid-body among them); server errors say only "internal error"
 * and the error itself goes to the log, with its stack and causes.
 */
export function errorEnvelope(logger: Logger) {
  return async (ctx: Context, next: Next): Promise<void> => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new AppError('ROUTE_NOT_FOUND', `no route for ${ctx.method} ${ctx.path}`);
      }
    } catch (err) {
      const failure = describeFailure(err, logger, ctx);
      ctx.status = failure.status;
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { code: failure.code, message: failure.message, ...(failure.details.length ? { errors: failure.details } : {}) };
    }
  };
}

/**
 * The status, code and message a failure is answered with, the same for the
 * API and the console: server errors are logged and answered only "internal error".
 */
export function describeFailure(
  err: unknown,
  logger: Logger,
  request: { readonly method: string; readonly path: string },
): { status: number; code: string; message: string; details: readonly unknown[] } {
  const appError = toAppError(err);
  const status = HTTP_STATUS[appError.code];
  const exposed = status < 500 || EXPOSED_SERVER_CODES.has(appError.code);
  if (!exposed) logger.error({ err, code: appError.code, method: request.method, path: request.path }, 'request failed');
  else logger.debug({ code: appError.code, status, method: request.method, path: request.path, reason: appError.message }, 'request refused');
  return exposed
    ? { status, code: appError.code, message: appError.message, details: appError.details }
    : { status, code: 'INTERNAL', message: 'internal error', details: [] };
}

function toAppError(err: unknown): AppError {
  if (isAppError(err)) return err;
  const status = (err as { status?: number }).status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new AppError('REQUEST_INVALID', messageOf(err), { cause: err });
  }
  return wrapError(err, 'INTERNAL', 'internal error');
}
