import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions } from 'node:https';
import { AppError, messageOf } from '../core/index.js';
import type { Config } from '../config/index.js';

/**
 * Reads the certificate files named by `server.tls`, before anything else
 * starts, so a missing file stops the server cleanly. With `client_ca`
 * clients are asked for a certificate; with `require_client_cert` a client
 * without a valid one is refused during the handshake (mTLS).
 */
export async function loadTls(tls: Config['tls']): Promise<ServerOptions | undefined> {
  if (!tls) return undefined;
  const [cert, key, ca] = await Promise.all([read(tls.cert, 'cert'), read(tls.key, 'key'), tls.clientCa ? read(tls.clientCa, 'client_ca') : undefined]);
  // TLS 1.3 only: Gatekeeper requires it of external-data providers, and OPA agents and API servers speak it.
  return { cert, key, minVersion: 'TLSv1.3', ...(ca ? { ca, requestCert: true, rejectUnauthorized: tls.requireClientCert } : {}) };
}

/** Plain HTTP, or HTTPS with the options loadTls read. */
export function createListener(handler: RequestListener, tls: ServerOptions | undefined): Server {
  return tls ? createHttpsServer(tls, handler) : createHttpServer(handler);
}

async function read(file: string, field: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new AppError('CONFIG_INVALID', `server.tls.${field} ${file} cannot be read: ${messageOf(err)}`, { cause: err });
  }
}
