import { createHash, randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AppError } from '../core/index.js';
import { headerOf as header, RegistryAuth } from './auth.js';
import type { CredentialLookup } from './credentials.js';
import { digestOf } from './digest.js';
import { isPlainHttpPeer, registryError, responseError, transportError, type Step } from './errors.js';
import { HttpTransport, type HttpRequest, type HttpResponse } from './http.js';
import { MEDIA_TYPES } from './media-types.js';
import { isLoopback } from './reference.js';

export interface ClientOptions {
  readonly credentials: CredentialLookup;
  /** Extra CA certificates (PEM) to trust for this registry and its token service. */
  readonly ca?: Uint8Array;
  /** Allow plain HTTP to a registry that does not speak TLS, as docker's insecure-registries. Loopback registries always may. */
  readonly insecure?: boolean;
  readonly timeoutMs?: number;
  readonly userAgent?: string;
}

/** A manifest as the registry stored it: exact bytes, their media type and digest. */
export interface FetchedManifest {
  readonly bytes: Buffer;
  readonly mediaType: string;
  readonly digest: string;
}

type Actions = 'pull' | 'pull,push';

interface Call {
  readonly step: string;
  readonly method: HttpRequest['method'];
  readonly repository: string;
  /** A path under /v2/<repository>/, or an absolute URL the registry handed out (an upload location). */
  readonly path: string | URL;
  readonly actions: Actions;
  /** Statuses that count as an answer; anything else is an error naming the step. */
  readonly expect: readonly number[];
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Uint8Array;
  readonly maxBytes?: number;
  readonly streamBody?: boolean;
}

const MANIFEST_ACCEPT = [MEDIA_TYPES.manifest, MEDIA_TYPES.index, MEDIA_TYPES.dockerManifest, MEDIA_TYPES.dockerManifestList].join(', ');
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;
const SMALL = 4 * 1024 * 1024;
/** Bytes of a blob gathered before they are written to its file. */
const WRITE_BATCH_BYTES = 4 * 1024 * 1024;
/**
 * A client for one registry, speaking the OCI distribution API: anonymous
 * access, HTTP Basic, and the token challenge (`WWW-Authenticate: Bearer
 * realm=...,service=...,scope=...`), answered on the first 401 and then
 * reused for as long as the client lives. HTTPS always, except loopback registries
 * and --insecure ones that do not speak TLS, which get plain HTTP as docker does.
 */
export class RegistryClient {
  private readonly transport: HttpTransport;
  private scheme: 'https:' | 'http:' | undefined;
  private readonly auth: RegistryAuth;

  constructor(
    readonly registry: string,
    private readonly options: ClientOptions,
  ) {
    this.transport = new HttpTransport({ timeoutMs: options.timeoutMs ?? 60_000, ...(options.ca ? { ca: options.ca } : {}) });
    this.auth = new RegistryAuth(options.credentials, {
      registry,
      userAgent: options.userAgent ?? 'portcullis',
      send: (req, at) => this.send(req, at),
      assertAllowed: (url, at) => this.assertTransportAllowed(url, at),
    });
  }

  close(): void {
    this.transport.close();
  }

  /** Whether the repository holds the blob (HEAD), asking with the permissions the caller will need next. */
  async hasBlob(repository: string, digest: string, actions: Actions): Promise<boolean> {
    const step = `checking for blob ${short(digest)} in ${repository}`;
    const res = await this.call({ step, method: 'HEAD', repository, path: `blobs/${digest}`, actions, expect: [200, 404] });
    return res.status === 200;
  }

  /** Uploads a blob in one request after starting an upload (POST, then PUT with the digest). */
  async uploadBlob(repository: string, digest: string, bytes: Uint8Array): Promise<void> {
    const open = await this.call({
      step: `starting the upload of blob ${short(digest)} to ${repository}`,
      method: 'POST',
      repository,
      path: 'blobs/uploads/',
      actions: 'pull,push',
      expect: [202],
    });
    const location = open.headers.location;
    const at = { registry: this.registry, step: `uploading blob ${short(digest)} to ${repository}` };
    if (!location) throw registryError('REGISTRY_FAILED', at, 'the registry started an upload without giving its Location');
    const url = new URL(location, this.base(repository));
    url.searchParams.set('digest', digest);
    const done = await this.call({
      ...at,
      method: 'PUT',
      repository,
      path: url,
      actions: 'pull,push',
      expect: [201],
      headers: { 'Content-Type': 'application/octet-stream' },
      body: bytes,
    });
    assertStored(done, digest, 'blob', at);
  }

  /** Puts a manifest under a tag or its digest and returns the digest the registry confirms. */
  async putManifest(repository: string, reference: string, mediaType: string, bytes: Uint8Array): Promise<string> {
    const digest = digestOf(bytes);
    const step = `putting the manifest ${short(digest)} as ${repository}:${reference}`;
    const res = await this.call({
      step,
      method: 'PUT',
      repository,
      path: `manifests/${reference}`,
      actions: 'pull,push',
      expect: [201],
      headers: { 'Content-Type': mediaType },
      body: bytes,
    });
    assertStored(res, digest, 'manifest', { registry: this.registry, step });
    return digest;
  }

  /** Resolves a tag or digest with a HEAD, as OPA does before fetching; undefined when it does not exist. */
  async resolveManifest(repository: string, reference: string): Promise<{ digest: string; mediaType: string; size: number } | undefined> {
    const step = `resolving ${repository}:${reference}`;
    const res = await this.call({
      step,
      method: 'HEAD',
      repository,
      path: `manifests/${reference}`,
      actions: 'pull',
      expect: [200, 404],
      headers: { Accept: MANIFEST_ACCEPT },
    });
    if (res.status === 404) return undefined;
    const digest = header(res, 'docker-content-digest');
    if (digest === undefined)
      return this.fetchManifest(repository, reference, SMALL).then((m) => ({ digest: m.digest, mediaType: m.mediaType, size: m.bytes.byteLength }));
    return { digest, mediaType: header(res, 'content-type') ?? '', size: Number(header(res, 'content-length') ?? 0) };
  }

  /** Fetches a manifest or index; a digest reference, and the registry's Docker-Content-Digest, are checked against the bytes. */
  async fetchManifest(repository: string, reference: string, maxBytes: number): Promise<FetchedManifest> {
    const step = `fetching the manifest ${repository}:${reference}`;
    const res = await this.call({
      step,
      method: 'GET',
      repository,
      path: `manifests/${reference}`,
      actions: 'pull',
      expect: [200],
      headers: { Accept: MANIFEST_ACCEPT },
      maxBytes,
    });
    const at = { registry: this.registry, step };
    const claimed = reference.includes(':') ? reference : header(res, 'docker-content-digest');
    const digest = digestOf(res.body, claimed);
    if (claimed !== undefined && claimed !== digest)
      throw registryError('REGISTRY_DIGEST_MISMATCH', at, `the manifest's bytes hash to ${digest}, not ${claimed}`);
    const mediaType = (header(res, 'content-type') ?? '').split(';')[0]?.trim() ?? '';
    return { bytes: res.body, mediaType, digest };
  }

  /** Fetches a blob (following a redirect to storage) and checks its size and digest. */
  async fetchBlob(repository: string, digest: string, size: number, maxBytes: number): Promise<Buffer> {
    const step = `fetching blob ${short(digest)} from ${repository}`;
    if (size > maxBytes)
      throw registryError('REGISTRY_ARTIFACT_INVALID', { registry: this.registry, step }, `the blob is ${size} bytes, more than the limit of ${maxBytes}`);
    const res = await this.call({ step, method: 'GET', repository, path: `blobs/${digest}`, actions: 'pull', expect: [200], maxBytes: Math.max(size, 0) });
    const at = { registry: this.registry, step };
    if (res.body.byteLength !== size) throw registryError('REGISTRY_DIGEST_MISMATCH', at, `got ${res.body.byteLength} bytes, the manifest says ${size}`);
    const actual = digestOf(res.body, digest);
    if (actual !== digest) throw registryError('REGISTRY_DIGEST_MISMATCH', at, `the blob's bytes hash to ${actual}`);
    return res.body;
  }

  /**
   * Streams a blob into `path` (through a temporary file beside it) while
   * hashing it, so a large layer is never held in memory; the file appears
   * only when size and digest match, and `checkHead` accepts its first bytes.
   */
  async fetchBlobToFile(repository: string, digest: string, size: number, maxBytes: number, path: string, checkHead: (head: Buffer) => void): Promise<void> {
    const step = `fetching blob ${short(digest)} from ${repository}`;
    const at = { registry: this.registry, step };
    if (size > maxBytes) throw registryError('REGISTRY_ARTIFACT_INVALID', at, `the blob is ${size} bytes, more than the limit of ${maxBytes}`);
    const res = await this.call({ step, method: 'GET', repository, path: `blobs/${digest}`, actions: 'pull', expect: [200], streamBody: true, maxBytes: size });
    const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
    const file = await open(temp, 'wx', 0o644).catch((err: unknown) => {
      res.stream?.destroy();
      throw new AppError('FILE_NOT_FOUND', `cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, { cause: err });
    });
    const hash = createHash(digest.startsWith('sha512:') ? 'sha512' : 'sha256');
    let received = 0;
    // Chunks are written in batches, one batch in flight while the next arrives, so the socket is never waiting on the disk.
    let writing: Promise<unknown> = Promise.resolve();
    let batch: Buffer[] = [];
    let batched = 0;
    const flush = async () => {
      await writing;
      writing = file.writev(batch);
      writing.catch(() => undefined);
      batch = [];
      batched = 0;
    };
    try {
      try {
        for await (const chunk of (res.stream ?? [res.body]) as AsyncIterable<Buffer>) {
          if (received === 0) checkHead(chunk);
          received += chunk.byteLength;
          if (received > size) throw registryError('REGISTRY_DIGEST_MISMATCH', at, `got more than the ${size} bytes the manifest says`);
          hash.update(chunk);
          batch.push(chunk);
          batched += chunk.byteLength;
          if (batched >= WRITE_BATCH_BYTES) await flush();
        }
        await flush();
        await writing;
      } catch (err) {
        throw transportError(err, at);
      } finally {
        await file.close();
      }
      if (received !== size) throw registryError('REGISTRY_DIGEST_MISMATCH', at, `got ${received} bytes, the manifest says ${size}`);
      const actual = `${digest.slice(0, digest.indexOf(':'))}:${hash.digest('hex')}`;
      if (actual !== digest) throw registryError('REGISTRY_DIGEST_MISMATCH', at, `the blob's bytes hash to ${actual}`);
      await rename(temp, path);
    } catch (err) {
      res.stream?.destroy();
      await rm(temp, { force: true });
      throw err;
    }
  }

  private async call(c: Call): Promise<HttpResponse> {
    const at: Step = { registry: this.registry, step: c.step };
    const scope = `repository:${c.repository}:${c.actions}`;
    const sent = await this.auth.header(scope, at);
    let res = await this.exchange(c, at, sent);
    if (res.status === 401) {
      await this.auth.answer(res, scope, at, sent);
      res = await this.exchange(c, at, await this.auth.header(scope, at));
      if (res.status === 401) throw await this.auth.refused(res, at);
    }
    if (!c.expect.includes(res.status)) throw responseError(res, at);
    return res;
  }

  /** One request, following redirects (without credentials to another origin); the first one also settles the scheme. */
  private async exchange(c: Call, at: Step, authorization: string | undefined): Promise<HttpResponse> {
    let url = typeof c.path === 'string' ? new URL(c.path, this.base(c.repository)) : c.path;
    const origin = url.origin;
    for (let hops = 0; ; hops += 1) {
      this.assertTransportAllowed(url, at);
      const headers: Record<string, string> = { 'User-Agent': this.options.userAgent ?? 'portcullis', ...c.headers };
      if (authorization !== undefined && url.origin === origin) headers['Authorization'] = authorization;
      const req: HttpRequest = {
        method: c.method,
        url,
        headers,
        maxBytes: c.maxBytes ?? SMALL,
        ...(c.body ? { body: c.body } : {}),
        ...(c.streamBody ? { streamBody: true } : {}),
      };
      let res: HttpResponse;
      try {
        res = await this.send(req, at);
      } catch (err) {
        if (!(err instanceof PlainHttpPeer)) throw err;
        this.scheme = 'http:';
        return this.exchange(c, at, authorization);
      }
      this.scheme ??= 'https:';
      const location = header(res, 'location');
      if (!REDIRECTS.has(res.status) || location === undefined || c.method === 'POST' || c.method === 'PUT' || hops >= MAX_REDIRECTS) return res;
      url = new URL(location, url);
    }
  }

  private async send(req: HttpRequest, at: Step): Promise<HttpResponse> {
    try {
      return await this.transport.send(req);
    } catch (err) {
      // Docker's rule for localhost and insecure registries: HTTPS first, plain HTTP when the peer does not speak TLS.
      if (this.scheme !== 'https:' && req.url.protocol === 'https:' && isPlainHttpPeer(err) && this.plainHttpAllowed()) throw new PlainHttpPeer();
      throw transportError(err, at);
    }
  }

  /** <scheme>//host/v2/<repository>/; HTTPS until a first request has shown the registry speaks only plain HTTP. */
  private base(repository: string): URL {
    return new URL(`${this.scheme ?? 'https:'}//${this.registry}/v2/${repository}/`);
  }

  private plainHttpAllowed(): boolean {
    return this.options.insecure === true || isLoopback(this.registry);
  }

  private assertTransportAllowed(url: URL, at: Step): void {
    if (url.protocol === 'http:' && !this.options.insecure && !isLoopback(url.host)) {
      throw registryError('REGISTRY_TLS_FAILED', at, `refusing plain HTTP to ${url.host}; use --insecure to allow it`);
    }
  }
}

/** The first request met a plain-HTTP registry where plain HTTP is allowed: the request is sent again over HTTP. */
class PlainHttpPeer extends Error {}

/** The digest a registry says it stored (Docker-Content-Digest) must be the one sent. */
function assertStored(res: HttpResponse, digest: string, what: string, at: Step): void {
  const stored = header(res, 'docker-content-digest');
  if (stored !== undefined && stored !== digest)
    throw registryError('REGISTRY_DIGEST_MISMATCH', at, `the registry stored the ${what} as ${stored}, not ${digest}`);
}

/** `sha256:1234abcd5678` for messages. */
export function short(digest: string): string {
  const colon = digest.indexOf(':');
  return colon < 0 ? digest : digest.slice(0, colon + 13);
}
