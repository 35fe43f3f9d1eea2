import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';

export interface HttpRequest {
  readonly method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Uint8Array;
  /** Largest response body kept; a larger one fails with BodyTooLargeError. */
  readonly maxBytes: number;
  /** Hand the body of a 200 over unread, as `stream`, instead of keeping it in memory. */
  readonly streamBody?: boolean;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** The unread body of a 200 when the request asked for streamBody. */
  readonly stream?: IncomingMessage;
}

/** A response body longer than the caller's limit: the connection is dropped, nothing is kept. */
export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`the response is larger than ${limit} bytes`);
  }
}

/** A network-level failure, with Node's error code (ECONNRESET, EPROTO, a TLS verification code...). */
export class NetworkError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause: unknown },
  ) {
    super(message, options);
  }
}

export interface TransportOptions {
  /** Extra PEM CA certificates to trust, added to Node's root store. */
  readonly ca?: Uint8Array;
  /** Longest a socket may stay silent before the request fails. */
  readonly timeoutMs: number;
}

/**
 * HTTP/1.1 with keep-alive on `node:http` and `node:https`. Node's global
 * fetch (undici) cannot be given a CA per request without importing undici,
 * which is not a dependency; `https.Agent` takes one, so every registry
 * request goes through this one code path.
 */
export class HttpTransport {
  private readonly http = new HttpAgent({ keepAlive: true, maxSockets: 8 });
  private readonly https: HttpsAgent;

  constructor(private readonly options: TransportOptions) {
    const ca = options.ca ? [...rootCertificates, Buffer.from(options.ca).toString('utf8')] : undefined;
    this.https = new HttpsAgent({ keepAlive: true, maxSockets: 8, ...(ca ? { ca } : {}) });
  }

  /**
   * Sends once. A request without a body that failed on a reused keep-alive
   * socket (one the server had closed meanwhile) is sent again on a fresh
   * socket; an upload is never repeated behind the caller's back.
   */
  async send(req: HttpRequest): Promise<HttpResponse> {
    try {
      return await this.sendOnce(req, req.body === undefined);
    } catch (err) {
      if (err instanceof StaleSocketError) return this.sendOnce(req, false);
      throw err;
    }
  }

  close(): void {
    this.http.destroy();
    this.https.destroy();
  }

  private sendOnce(req: HttpRequest, mayRetry: boolean): Promise<HttpResponse> {
    const secure = req.url.protocol === 'https:';
    const send = secure ? httpsRequest : httpRequest;
    const headers: Record<string, string | number> = { ...req.headers };
    if (req.body) headers['Content-Length'] = req.body.byteLength;
    return new Promise<HttpResponse>((resolve, reject) => {
      const request = send(req.url, { method: req.method, headers, agent: secure ? this.https : this.http, timeout: this.options.timeoutMs }, (res) => {
        if (req.streamBody && res.statusCode === 200) {
          resolve({ status: 200, headers: res.headers, body: Buffer.alloc(0), stream: res });
          return;
        }
        // A HEAD's Content-Length describes the resource, not a body that will come.
        const declared = req.method === 'HEAD' ? 0 : Number(res.headers['content-length'] ?? 0);
        if (declared > req.maxBytes) {
          res.destroy();
          reject(new BodyTooLargeError(req.maxBytes));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.byteLength;
          if (size > req.maxBytes) {
            res.destroy();
            reject(new BodyTooLargeError(req.maxBytes));
            return;
          }
          chunks.push(chunk);
        });
        res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks, size) }));
        res.once('error', (err) => reject(networkError(err)));
        res.once('aborted', () => reject(new NetworkError('ECONNRESET', 'the connection closed before the response was complete')));
      });
      request.once('timeout', () => request.destroy(new NetworkError('ETIMEDOUT', `no answer within ${Math.round(this.options.timeoutMs / 1000)} s`)));
      request.once('error', (err) => {
        const code = (err as NodeJS.ErrnoException).code;
        reject(mayRetry && request.reusedSocket && code === 'ECONNRESET' ? new StaleSocketError() : networkError(err));
      });
      request.end(req.body);
    });
  }
}

class StaleSocketError extends Error {}

function networkError(err: unknown): NetworkError {
  if (err instanceof NetworkError) return err;
  const e = err as NodeJS.ErrnoException;
  return new NetworkError(e.code ?? 'ERROR', e.message, { cause: err });
}
