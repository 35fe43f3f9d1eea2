import { AppError, messageOf, parseJsonPreserving, yaml } from '../core/index.js';

export interface InputLimits {
  /** Largest accepted file, in bytes. */
  readonly maxBytes: number;
  /** Deepest accepted nesting of objects and arrays. */
  readonly maxDepth: number;
}

// Real reports reach tens of MiB (Trivy lists every package since 0.67);
// nesting beyond a few dozen levels is never a report, only an attack.
export const DEFAULT_INPUT_LIMITS: InputLimits = { maxBytes: 256 * 1024 * 1024, maxDepth: 128 };

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Checks the size, then decodes UTF-8 (a BOM is dropped), naming the file on failure. */
export function decodeText(bytes: Uint8Array, file: string, limits: InputLimits): string {
  if (bytes.byteLength > limits.maxBytes) {
    throw new AppError('INPUT_TOO_LARGE', `${file}: ${bytes.byteLength} bytes exceeds the limit of ${limits.maxBytes} bytes`, {
      details: [{ file, message: `larger than ${limits.maxBytes} bytes` }],
    });
  }
  try {
    return utf8.decode(bytes);
  } catch (err) {
    throw new AppError('INPUT_INVALID', `${file}: not valid UTF-8 text`, { cause: err, details: [{ file, message: 'not valid UTF-8' }] });
  }
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

/** Iterative, so a hostile file cannot exhaust the stack before the limit is seen. */
function assertDepth(root: unknown, file: string, maxDepth: number): void {
  const stack: Array<{ value: unknown; depth: number; path: string }> = [{ value: root, depth: 0, path: '' }];
  while (stack.length > 0) {
    const { value, depth, path } = stack.pop() as { value: unknown; depth: number; path: string };
    if (value === null || typeof value !== 'object') continue;
    if (depth >= maxDepth) {
      const shown = path.length > 120 ? `${path.slice(0, 120)}…` : path || '/';
      throw new AppError('INPUT_TOO_LARGE', `${file}: nesting deeper than ${maxDepth} levels at ${shown}`, {
        details: [{ file, path, message: `nesting deeper than ${maxDepth} levels` }],
      });
    }
    for (const [key, child] of Object.entries(value)) {
      if (child !== null && typeof child === 'object') stack.push({ value: child, depth: depth + 1, path: `${path}/${escapePointer(key)}` });
    }
  }
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
