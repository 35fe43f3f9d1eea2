import { isAscii, isUtf8 } from 'node:buffer';
import { AppError, asciiJsonText, INPUT_LIMITS, messageOf, nestingExceeds, parseJsonPreserving, yaml } from '../core/index.js';

export interface InputLimits {
  /** Largest accepted file, in bytes. */
  readonly maxBytes: number;
  /** Largest accepted Dockerfile, in bytes. */
  readonly maxDockerfileBytes: number;
  /** Deepest accepted nesting of objects and arrays. */
  readonly maxDepth: number;
}

// Real reports reach tens of MiB (Trivy lists every package since 0.67);
// nesting beyond a few dozen levels is never a report, only an attack.
export const DEFAULT_INPUT_LIMITS: InputLimits = INPUT_LIMITS;

/**
 * Checks the size, then decodes UTF-8 (a BOM is dropped), naming the file on
 * failure. The bytes are validated first (strictly, as a fatal TextDecoder
 * would), so the decoding itself cannot replace anything; ASCII, the common
 * case for scanner output, is copied as Latin-1, several times faster.
 */
export function decodeText(bytes: Uint8Array, file: string, limits: InputLimits): string {
  const body = checkedBody(bytes, file, limits);
  if (isAscii(body)) return body.toString('latin1');
  assertUtf8(body, file);
  return body.toString('utf8');
}

/** The bytes after a BOM, once their size is within the limit. */
function checkedBody(bytes: Uint8Array, file: string, limits: InputLimits): Buffer {
  if (bytes.byteLength > limits.maxBytes) {
    throw new AppError('INPUT_TOO_LARGE', `${file}: ${bytes.byteLength} bytes exceeds the limit of ${limits.maxBytes} bytes`, {
      details: [{ file, message: `larger than ${limits.maxBytes} bytes` }],
    });
  }
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  return Buffer.from(bytes.buffer, bytes.byteOffset + bom, bytes.byteLength - bom);
}

function assertUtf8(body: Buffer, file: string): void {
  if (!isUtf8(body)) throw new AppError('INPUT_INVALID', `${file}: not valid UTF-8 text`, { details: [{ file, message: 'not valid UTF-8' }] });
}

/**
 * A JSON document read straight from its bytes, or undefined when the bytes
 * are not a JSON object or array that parses (the caller then decodes them
 * and takes the path that names the error). The fast path for reports: in
 * JSON, text outside ASCII can only stand inside strings, so each run of it
 * is written as \u escapes and the whole document parsed as ASCII, which
 * decodes and parses several times faster than UTF-8 with a few accented
 * letters in it (as most reports have); the strings come out the same.
 */
export function parseJsonBytes(bytes: Uint8Array, file: string, limits: InputLimits): { value: unknown } | undefined {
  const body = checkedBody(bytes, file, limits);
  const first = body.findIndex((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09);
  if (body[first] !== 0x7b && body[first] !== 0x5b) return undefined;
  let value: unknown;
  try {
    if (!isAscii(body)) assertUtf8(body, file);
    value = JSON.parse(asciiJsonText(body));
  } catch (err) {
    if (err instanceof AppError) throw err;
    return undefined;
  }
  assertDepth(value, file, limits.maxDepth);
  return { value };
}

function looksLikeJson(text: string): boolean {
  const first = /\S/.exec(text)?.[0];
  return first === '{' || first === '[' || /^\s*null\s*$/.test(text);
}

/**
 * Parses JSON (fast path: JSON.parse; on a syntax error the preserving parser
 * re-reads it to report line and column) or, for anything else, YAML. Every
 * YAML document is returned; JSON yields one.
 */
export function parseDocuments(text: string, file: string, limits: InputLimits): unknown[] {
  const docs = looksLikeJson(text) ? [parseJson(text, file)] : parseYaml(text, file);
  docs.forEach((doc) => assertDepth(doc, file, limits.maxDepth));
  return docs;
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    parseJsonPreserving(text, file);
    throw new AppError('INPUT_INVALID', `${file}: invalid JSON`, { cause: err, details: [{ file, message: 'invalid JSON' }] });
  }
}

function parseYaml(text: string, file: string): unknown[] {
  const docs = yaml().parseAllDocuments(text, { prettyErrors: false, uniqueKeys: true, logLevel: 'silent' });
  const list = Array.isArray(docs) ? docs : [];
  for (const doc of list) {
    const problem = doc.errors[0] ?? doc.warnings[0];
    if (!problem) continue;
    // linePos is only filled with prettyErrors; the offset always is.
    const offset = problem.pos[0];
    const line = Number.isInteger(offset) ? text.slice(0, offset).split('\n').length : undefined;
    yamlFailure(file, problem.message, line);
  }
  return list
    .map((doc) => {
      try {
        return doc.toJS({ maxAliasCount: 100 }) as unknown;
      } catch (err) {
        return yamlFailure(file, messageOf(err), undefined);
      }
    })
    .filter((v) => v !== null && v !== undefined);
}

/** The parser reports runaway nesting as a stack overflow and alias bombs as excessive aliases: both are size limits. */
function yamlFailure(file: string, message: string, line: number | undefined): never {
  const tooLarge = /Maximum call stack|Excessive alias count/i.test(message);
  const where = line === undefined ? '' : ` at line ${line}`;
  const summary = tooLarge ? 'nesting or aliases beyond the limits' : message.split('\n')[0];
  throw new AppError(tooLarge ? 'INPUT_TOO_LARGE' : 'INPUT_INVALID', `${file}: invalid YAML${where}: ${summary}`, {
    details: [{ file, message, ...(line === undefined ? {} : { line }) }],
  });
}

/**
 * A document parsed elsewhere (an HTTP body), held to the same nesting limit
 * as a file: walked unless it is known to nest at most `nestedAtMost`
 * deep, within the limit.
 */
export function checkedDocument(document: unknown, file: string, limits: InputLimits, nestedAtMost = Infinity): unknown {
  if (nestedAtMost > limits.maxDepth) assertDepth(document, file, limits.maxDepth);
  return document;
}

/**
 * Iterative (nestingExceeds), so a hostile file cannot exhaust the stack
 * before the limit is seen, and no path is built on the way (this runs on
 * every report): the path is found again, by deepestPath, only for a
 * document that breaks the limit.
 */
function assertDepth(root: unknown, file: string, maxDepth: number): void {
  if (nestingExceeds(root, maxDepth)) tooDeep(root, file, maxDepth);
}

function tooDeep(root: unknown, file: string, maxDepth: number): never {
  const path = deepestPath(root, maxDepth);
  const shown = path.length > 120 ? `${path.slice(0, 120)}…` : path || '/';
  throw new AppError('INPUT_TOO_LARGE', `${file}: nesting deeper than ${maxDepth} levels at ${shown}`, {
    details: [{ file, path, message: `nesting deeper than ${maxDepth} levels` }],
  });
}

/** The JSON pointer of the first container found at `maxDepth` (in the order the check above finds it: last child first). */
function deepestPath(root: unknown, maxDepth: number): string {
  const stack: Array<{ value: unknown; depth: number; path: string }> = [{ value: root, depth: 0, path: '' }];
  while (stack.length > 0) {
    const { value, depth, path } = stack.pop() as { value: unknown; depth: number; path: string };
    if (value === null || typeof value !== 'object') continue;
    if (depth >= maxDepth) return path;
    for (const [key, child] of Object.entries(value)) {
      if (child !== null && typeof child === 'object') stack.push({ value: child, depth: depth + 1, path: `${path}/${escapePointer(key)}` });
    }
  }
  return '';
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Parses a file that must hold exactly one document. */
export function parseSingleDocument(bytes: Uint8Array, file: string, limits: InputLimits): unknown {
  return parseSingleText(decodeText(bytes, file, limits), file, limits);
}

export function parseSingleText(text: string, file: string, limits: InputLimits): unknown {
  const docs = parseDocuments(text, file, limits);
  if (docs.length !== 1) {
    throw new AppError('INPUT_INVALID', `${file}: expected one document, found ${docs.length}`, {
      details: [{ file, message: `expected one document, found ${docs.length}` }],
    });
  }
  return docs[0];
}
