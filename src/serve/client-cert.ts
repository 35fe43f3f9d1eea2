import type { Context } from 'koa';
import type { TLSSocket } from 'node:tls';
import { AppError } from '../core/index.js';

/** True when the request came over TLS with a client certificate the server's client CA verified. */
export function clientCertified(ctx: Context): boolean {
  const socket = ctx.req.socket as Partial<TLSSocket>;
  return socket.encrypted === true && socket.authorized === true;
}

/**
 * Per-route mTLS: the listener may ask for client certificates without
 * requiring them (other routes use tokens), so the Kubernetes endpoints check
 * for themselves when `admission.require_client_cert` is set.
 */
export function requireClientCert(ctx: Context, required: boolean): void {
  if (required && !clientCertified(ctx)) {
    throw new AppError('FORBIDDEN', 'this endpoint answers only clients with a certificate signed by the configured client CA');
  }
}
