import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { AppError, messageOf } from '../core/index.js';
import type { Config } from '../config/index.js';

/**
 * Plain HTTP, or HTTPS when `server.tls` is configured. With `client_ca`
 * clients are asked for a certificate; with `require_client_cert` a client
 * without a valid one is refused during the handshake (mTLS).
 */
export async function createListener(handler: RequestListener, tls: Config['tls']): Promise<Server> {
  if (!tls) return createHttpServer(handler);
  const [cert, key, ca] = await Promise.all([read(tls.cert, 'cert'), read(tls.key, 'key'), tls.clientCa ? read(tls.clientCa, 'client_ca') : undefined]);
  return createHttpsServer(
    {
      cert,
      key,
      minVersion: 'TLSv1.2',
      ...(ca ? { ca, requestCert: true, rejectUnauthorized: tls.requireClientCert } : {}),
    },
    handler,
  );
}

async function read(file: string, field: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new AppError('CONFIG_INVALID', `server.tls.${field} ${file} cannot be read: ${messageOf(err)}`, { cause: err });
  }
}
