import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type RequestListener, type Server, type ServerOptions as HttpOptions } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions } from 'node:https';
import { wrapError } from '../core/index.js';
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

/**
 * Plain HTTP, or HTTPS with the options loadTls read, with every timeout set
 * (server.timeouts): a client that stalls in its TLS handshake, its headers,
 * its body or on an idle connection is disconnected, so thousands of them
 * cannot hold the server's sockets and memory.
 */
export function createListener(handler: RequestListener, tls: ServerOptions | undefined, timeouts: Config['timeouts']): Server {
  const options: HttpOptions = {
    headersTimeout: timeouts.headersMs,
    requestTimeout: Math.max(timeouts.requestMs, timeouts.headersMs),
    keepAliveTimeout: timeouts.keepAliveMs,
    // How often the header and request deadlines are checked (Node's default, 30 s, would let stalled clients linger).
    connectionsCheckingInterval: Math.max(250, Math.min(5_000, Math.floor(timeouts.headersMs / 4))),
  };
  const server = tls ? createHttpsServer({ ...tls, ...options, handshakeTimeout: timeouts.headersMs }, handler) : createHttpServer(options, handler);
  // Silence on a connection while a request is read or answered; held long polls lift it while they wait.
  server.setTimeout(timeouts.idleMs);
  return server;
}

async function read(file: string, field: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw wrapError(err, 'CONFIG_INVALID', `server.tls.${field} ${file} cannot be read`);
  }
}
