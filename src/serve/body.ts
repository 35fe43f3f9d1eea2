import type { IncomingMessage } from 'node:http';
import { createGunzip, type Gunzip } from 'node:zlib';
import type { Context, Middleware } from 'koa';
import { isAscii, isUtf8 } from 'node:buffer';
import { AppError, asciiJsonText, isAppError, parseGuardedJson, wrapError } from '../core/index.js';

/** The ratio guard starts beyond the first MiB, where small bodies of repeated events compress very well. */
const RATIO_FLOOR = 1024 * 1024;
/** After refusing a body, this much more is read and dropped so the client sees the answer rather than a reset. */
const DRAIN_BYTES = 4 * 1024 * 1024;
const DRAIN_MS = 5_000;
/** Inflated output comes in chunks of this size (zlib's default is 16 KiB), copied at once into the body's buffer. */
const INFLATE_CHUNK_BYTES = 64 * 1024;
const MIN_BUFFER_BYTES = 16 * 1024;
const FIRST_BUFFER_MAX_BYTES = 1024 * 1024;
/**
 * A plain body up to this size (a scan report of a few hundred
 * vulnerabilities) is kept as the chunks it arrived in, which an evaluation
 * worker takes over (moved, not copied) and reads (parseJsonParts): chunks
 * copied into a buffer here were freed only by a full collection, which the
 * event loop then ran several times a second under a load of reports. Past this, chunks go
 * into one buffer: held longer, they fragment the allocator's heap as
 * GrowingBuffer says (16 MiB of held chunks left the server 47 MB more
 * resident after `npm run bench:fuzz`).
 */
const HELD_CHUNKS_MAX_BYTES = 1024 * 1024;

export interface BodyOptions {
  /** Largest body, after decompression. */
  readonly maxBytes: number;
  /** The setting that raises maxBytes, named in the 413. */
  readonly limitName: string;
  /** Deepest nesting of the JSON document. */
  readonly maxDepth: number;
  /** Accept `Content-Encoding: gzip`, refusing bodies that inflate more than this ratio beyond the first MiB. */
  readonly gzipRatio?: number;
  /** Refuse media types other than JSON with 415, as OPA's ingestion APIs do. */
  readonly strictType?: boolean;
  /** The code for a malformed body, following the route's convention. */
  readonly invalid: 'REQUEST_INVALID' | 'INPUT_INVALID';
}

/**
 * Reads a request body whole (plain, or gzip when allowed) while enforcing
 * the size and ratio limits, so a body over a limit is refused before it is
 * buffered, whether it declared its length or came chunked. A refused body
 * is answered (413) and the rest of it drained for a bounded time, never
 * answered with a connection reset. A client that disconnects mid-body is
 * REQUEST_ABORTED, not a server error.
 */
export async function readBody(ctx: Context, options: BodyOptions): Promise<Buffer> {
  return joinedBody(await readBodyParts(ctx, options));
}

/** readBody, with the body as the parts it was read in: the chunks of a plain body up to 1 MiB, else one buffer. */
export async function readBodyParts(ctx: Context, options: BodyOptions): Promise<Buffer[]> {
  if (options.strictType) checkContentType(ctx.get('Content-Type'));
  const encoding = ctx.get('Content-Encoding').trim().toLowerCase();
  const gzip = encoding === 'gzip' || encoding === 'x-gzip';
  if ((gzip && options.gzipRatio === undefined) || (!gzip && encoding !== '' && encoding !== 'identity')) {
    const accepted = options.gzipRatio === undefined ? 'send the body plain' : 'send the body plain or with gzip';
    throw new AppError('ENCODING_UNSUPPORTED', `Content-Encoding '${encoding}' is not supported; ${accepted}`);
  }
  const parts = await collect(ctx.req, options, gzip);
  answering(ctx);
  return parts;
}

/** A body's parts as one buffer: the only part itself, else a copy of them. */
export function joinedBody(parts: readonly Uint8Array[]): Buffer {
  const only = parts.length === 1 ? parts[0] : undefined;
  return only ? Buffer.from(only.buffer, only.byteOffset, only.byteLength) : Buffer.concat(parts);
}

/** How to put back the idle timeout of a connection whose request is being answered. */
const restorers = new WeakMap<IncomingMessage, () => void>();

/**
 * The client has sent its whole body: what follows (deciding a large report
 * takes seconds, longer on a loaded host) is the server's own work, so the
 * connection's idle timeout, which is for a client's silence, is lifted until
 * the handler is done (restoreIdleTimeout), before the answer is written.
 */
function answering(ctx: Context): void {
  const socket = ctx.req.socket;
  const idle = socket.timeout ?? 0;
  if (idle === 0) return;
  socket.setTimeout(0);
  restorers.set(ctx.req, () => socket.setTimeout(idle));
}

/** Middleware: once the routes are done, a lifted idle timeout applies again while the answer is written. */
export function restoreIdleTimeout(): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } finally {
      restorers.get(ctx.req)?.();
      restorers.delete(ctx.req);
    }
  };
}

/**
 * Decodes a body as UTF-8 (invalid bytes are refused, never replaced; a BOM
 * is dropped) and parses it as JSON, refusing nesting beyond the limit and
 * lone surrogate escapes (parseGuardedJson). Non-ASCII text is read as \u
 * escapes (asciiJsonText), which parses several times faster than decoding
 * it. An empty or all-whitespace body is undefined.
 */
export function parseJsonBody(bytes: Uint8Array, options: Pick<BodyOptions, 'maxDepth' | 'invalid'>): unknown {
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const body = Buffer.from(bytes.buffer, bytes.byteOffset + bom, bytes.byteLength - bom);
  return parsedText(escapedText(body, options.invalid), options, () => body.toString('utf8'));
}

/** Bytes of the body as ASCII JSON text (asciiJsonText), once they are known to be UTF-8. */
function escapedText(bytes: Buffer, invalid: BodyOptions['invalid']): string {
  if (isAscii(bytes)) return bytes.toString('latin1');
  if (!isUtf8(bytes)) throw new AppError(invalid, 'request body is not valid UTF-8');
  return asciiJsonText(bytes);
}

/**
 * parseJsonBody on a body's parts (readBodyParts), decoded part by part into
 * the string the parser reads rather than joined in a buffer first: a native
 * buffer per report, in the worker the chunks were moved to, kept the server
 * more resident after a burst. A part with text outside ASCII (most reports
 * have a few accented letters) is escaped on its own (asciiJsonText), joined
 * only with a neighbour that the same run of non-ASCII bytes goes on into, so
 * each run is validated and escaped whole, as in the joined body.
 */
export function parseJsonParts(parts: readonly Uint8Array[], options: Pick<BodyOptions, 'maxDepth' | 'invalid'>): unknown {
  const chunks = parts.filter((part) => part.byteLength > 0).map((part) => Buffer.from(part.buffer, part.byteOffset, part.byteLength));
  // A BOM, which parseJsonBody drops, may itself be split between parts.
  if (chunks.length < 2 || chunks[0]?.[0] === 0xef) return parseJsonBody(joinedBody(parts), options);
  const text = runSegments(chunks)
    .map((segment) => escapedText(segment, options.invalid))
    .join('');
  return parsedText(text, options, () => joinedBody(parts).toString('utf8'));
}

/** The chunks, with each one that ends inside a run of non-ASCII bytes joined to the next (rare: a part ends mid-character). */
function runSegments(chunks: readonly Buffer[]): Buffer[] {
  const segments: Buffer[] = [];
  for (let start = 0; start < chunks.length;) {
    let end = start + 1;
    while (end < chunks.length && endsInRun(chunks[end - 1] as Buffer, chunks[end] as Buffer)) end += 1;
    segments.push(end === start + 1 ? (chunks[start] as Buffer) : Buffer.concat(chunks.slice(start, end)));
    start = end;
  }
  return segments;
}

function endsInRun(chunk: Buffer, next: Buffer): boolean {
  return (chunk[chunk.byteLength - 1] ?? 0) >= 0x80 && (next[0] ?? 0) >= 0x80;
}

/**
 * JSON text parsed as the body. The parser quotes the text it read, for a
 * non-ASCII body its escaped copy, so a syntax error is taken from the
 * body's own text (`source`).
 */
function parsedText(text: string, options: Pick<BodyOptions, 'maxDepth' | 'invalid'>, source: () => string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return parseGuardedJson(text, options.maxDepth, 'request body', options.invalid);
  } catch (err) {
    if (isAppError(err)) throw err;
    throw wrapError(syntaxError(source()), options.invalid, 'request body is not valid JSON');
  }
}

function syntaxError(text: string): unknown {
  try {
    JSON.parse(text);
    return new Error('invalid JSON');
  } catch (err) {
    return err;
  }
}

/** readBody, then parseJsonBody. */
export async function readJsonBody(ctx: Context, options: BodyOptions): Promise<unknown> {
  return parseJsonBody(await readBody(ctx, options), options);
}

/** JSON is assumed without a Content-Type; any other media type is refused. */
function checkContentType(header: string): void {
  const type = header.split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === '' || type === 'application/json' || type.endsWith('+json')) return;
  throw new AppError('ENCODING_UNSUPPORTED', `Content-Type '${type}' is not supported; send application/json`);
}

function collect(req: IncomingMessage, options: BodyOptions, gzip: boolean): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? Number.NaN);
    // Inflated chunks are views of the inflater's buffers, which cannot be moved to a worker; they are always copied.
    const body = new BodySink(gzip || !(declared >= 0) ? 0 : declared, gzip || declared > HELD_CHUNKS_MAX_BYTES ? 0 : HELD_CHUNKS_MAX_BYTES);
    let received = 0;
    let settled = false;
    const inflater: Gunzip | undefined = gzip ? createGunzip({ chunkSize: INFLATE_CHUNK_BYTES }) : undefined;
    const settle = (err?: AppError): void => {
      if (settled) return;
      settled = true;
      inflater?.destroy();
      if (!err) return resolve(body.parts());
      if (err.code !== 'REQUEST_ABORTED') drain(req, received);
      reject(err);
    };
    const take = (chunk: Buffer): void => {
      if (settled) return;
      const size = body.size + chunk.byteLength;
      if (size > options.maxBytes) return settle(tooLarge(options));
      const ratio = options.gzipRatio;
      // Measured against what the inflater has consumed, not what has arrived: a bomb's few KiB arrive at once.
      if (inflater && ratio !== undefined && size > Math.max(RATIO_FLOOR, inflater.bytesWritten * ratio)) {
        return settle(new AppError('INPUT_TOO_LARGE', `gzip body expands more than ${ratio} times its compressed size`));
      }
      body.append(chunk);
    };
    if (declared > options.maxBytes) return settle(tooLarge(options));
    inflater?.on('data', take);
    inflater?.on('end', () => settle());
    inflater?.on('error', (err) => settle(wrapError(err, options.invalid, 'request body is not valid gzip')));
    req.on('data', (chunk: Buffer) => {
      received += chunk.byteLength;
      if (settled) return;
      if (!inflater) return take(chunk);
      if (received > options.maxBytes) return settle(tooLarge(options));
      inflater.write(chunk);
    });
    req.on('end', () => (inflater ? inflater.end() : settle()));
    req.on('close', () => {
      if (!req.complete) settle(new AppError('REQUEST_ABORTED', 'the client closed the connection before the request body was complete'));
    });
    req.on('error', (err) => settle(wrapError(err, 'REQUEST_ABORTED', 'the request body could not be read')));
  });
}

/** A body's chunks as they arrived while they add up to at most `held` bytes; past that, one GrowingBuffer. */
class BodySink {
  private chunks: Buffer[] = [];
  private buffer: GrowingBuffer | undefined;
  size = 0;

  constructor(
    private readonly declared: number,
    private readonly held: number,
  ) {}

  append(chunk: Buffer): void {
    this.size += chunk.byteLength;
    if (!this.buffer && this.size <= this.held) {
      this.chunks.push(chunk);
      return;
    }
    if (!this.buffer) {
      this.buffer = new GrowingBuffer(this.declared);
      for (const held of this.chunks) this.buffer.append(held);
      this.chunks = [];
    }
    this.buffer.append(chunk);
  }

  parts(): Buffer[] {
    return this.buffer ? [this.buffer.bytes()] : this.chunks;
  }
}

/**
 * A body's bytes in one buffer that doubles as it fills. Holding a large body
 * as the thousands of socket or inflater chunks it arrived in, to join them at
 * the end, scatters them through the allocator's heap, which then keeps the
 * peak resident long after they are freed (hundreds of MiB after a burst of
 * gzip bombs). A declared length sizes the first buffer, up to 1 MiB: a
 * length is a claim, and memory is spent only on bytes that arrive.
 */
class GrowingBuffer {
  private buffer: Buffer;
  size = 0;

  /** `declared`: the length the client gave, or 0; the buffer never grows past it for a body that keeps to it. */
  constructor(private readonly declared: number) {
    this.buffer = Buffer.allocUnsafe(Math.min(Math.max(declared, MIN_BUFFER_BYTES), FIRST_BUFFER_MAX_BYTES));
  }

  append(chunk: Uint8Array): void {
    const needed = this.size + chunk.byteLength;
    if (needed > this.buffer.byteLength) {
      const doubled = Math.max(needed, this.buffer.byteLength * 2);
      const grown = Buffer.allocUnsafe(needed <= this.declared ? Math.min(doubled, this.declared) : doubled);
      this.buffer.copy(grown, 0, 0, this.size);
      this.buffer = grown;
    }
    this.buffer.set(chunk, this.size);
    this.size = needed;
  }

  /** The bytes appended so far (a view of the buffer). */
  bytes(): Buffer {
    return this.buffer.subarray(0, this.size);
  }
}

/**
 * Keeps reading what the client still sends after its body was refused, up
 * to a few MiB or seconds, so that it reads the error response instead of a
 * reset; past that the connection is closed.
 */
function drain(req: IncomingMessage, alreadyReceived: number): void {
  if (req.complete) return;
  const stop = (): void => {
    req.socket.destroy();
  };
  const timer = setTimeout(stop, DRAIN_MS);
  timer.unref();
  const start = alreadyReceived;
  let received = alreadyReceived;
  req.on('data', (chunk: Buffer) => {
    received += chunk.byteLength;
    if (received - start > DRAIN_BYTES) stop();
  });
  req.once('end', () => clearTimeout(timer));
  req.once('close', () => clearTimeout(timer));
  req.resume();
}

function tooLarge(options: BodyOptions): AppError {
  return new AppError('INPUT_TOO_LARGE', `request body is larger than ${options.maxBytes} bytes (${options.limitName})`);
}
