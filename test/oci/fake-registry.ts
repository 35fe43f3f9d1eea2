import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface FakeRegistry {
  readonly host: string;
  readonly requests: { method: string; path: string; authorization?: string }[];
  /** Stores a manifest (or index) under its digest and, optionally, a tag. */
  putManifest(repository: string, mediaType: string, body: unknown, tag?: string): { digest: string; size: number; bytes: Buffer };
  putBlob(repository: string, bytes: Buffer): string;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => boolean;

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/**
 * An in-memory registry for unit tests of the client's own logic (auth
 * state, redirects, index walking, limits). The real registry is exercised
 * by the end-to-end tests; `intercept` lets a test answer a request its own way.
 */
export async function fakeRegistry(intercept?: Handler): Promise<FakeRegistry> {
  const manifests = new Map<string, { mediaType: string; bytes: Buffer }>();
  const blobs = new Map<string, Buffer>();
  const requests: FakeRegistry['requests'] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({ method: req.method ?? '', path: req.url ?? '', ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
      if (intercept?.(req, res, body)) return;
      const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/?]+)$/.exec(req.url ?? '');
      const key = m ? `${m[1]}@${m[3]}` : '';
      if (m?.[2] === 'manifests' && manifests.has(key)) {
        const found = manifests.get(key) as { mediaType: string; bytes: Buffer };
        res.writeHead(200, { 'Content-Type': found.mediaType, 'Docker-Content-Digest': sha256(found.bytes), 'Content-Length': found.bytes.byteLength });
        res.end(req.method === 'HEAD' ? undefined : found.bytes);
        return;
      }
      if (m?.[2] === 'blobs' && blobs.has(key)) {
        const found = blobs.get(key) as Buffer;
        res.writeHead(200, { 'Content-Length': found.byteLength, 'Docker-Content-Digest': m[3] ?? '' });
        res.end(req.method === 'HEAD' ? undefined : found);
        return;
      }
      res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    host: `127.0.0.1:${port}`,
    requests,
    putManifest(repository, mediaType, body, tag) {
      const bytes = Buffer.from(JSON.stringify(body));
      const digest = sha256(bytes);
      manifests.set(`${repository}@${digest}`, { mediaType, bytes });
      if (tag) manifests.set(`${repository}@${tag}`, { mediaType, bytes });
      return { digest, size: bytes.byteLength, bytes };
    },
    putBlob(repository, bytes) {
      const digest = sha256(bytes);
      blobs.set(`${repository}@${digest}`, bytes);
      return digest;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
