import { AppError, type ErrorCode } from './errors.js';

/** The next character that changes the scanner's state: outside strings, brackets and quotes; inside, quotes and escapes. */
const OUTSIDE = /[[\]{}"]/g;
const INSIDE = /["\\]/g;
const HEX4 = /^[0-9a-fA-F]{4}$/;
/** In Unicode mode a pair is one code point, so only an unpaired surrogate is of category Cs. */
const LONE_SURROGATE = /\p{Cs}/u;

export interface JsonTextProblem {
  readonly message: string;
  /** Offset in the text (UTF-16 code units). */
  readonly offset: number;
}

/**
 * Scans JSON text, without recursion and before it is parsed, for what the
 * parser accepts but the rest of the pipeline cannot take: nesting deeper
 * than `maxDepth` (every recursive walk after the parse would overflow the
 * stack, and SQLite's JSON functions stop at 1,000 levels), and `\uD800`-style
 * escapes that do not form a surrogate pair (OPA's Wasm JSON parser, Go and
 * PostgreSQL refuse them). Malformed JSON is left to the parser, which names
 * the position. Returns the first problem, or undefined.
 */
export function findJsonTextProblem(text: string, maxDepth: number): JsonTextProblem | undefined {
  let depth = 0;
  let pos = 0;
  for (;;) {
    OUTSIDE.lastIndex = pos;
    const outside = OUTSIDE.exec(text);
    if (!outside) return undefined;
    const ch = outside[0];
    pos = outside.index + 1;
    if (ch === '{' || ch === '[') {
      depth += 1;
      if (depth > maxDepth) return { message: `nesting deeper than ${maxDepth} levels`, offset: outside.index };
    } else if (ch === '}' || ch === ']') {
      depth -= 1;
    } else {
      const end = skipString(text, pos);
      if (typeof end !== 'number') return end;
      pos = end;
    }
  }
}

/** Moves past a string whose opening quote is before `pos`; returns the offset after its closing quote, or a problem. */
function skipString(text: string, start: number): number | JsonTextProblem {
  let pos = start;
  for (;;) {
    INSIDE.lastIndex = pos;
    const inside = INSIDE.exec(text);
    if (!inside) return text.length;
    if (inside[0] === '"') return inside.index + 1;
    const at = inside.index;
    if (text[at + 1] !== 'u') {
      pos = at + 2;
      continue;
    }
    const unit = hexAt(text, at + 2);
    pos = at + 6;
    if (unit === undefined || unit < 0xd800 || unit > 0xdfff) continue;
    const low = unit <= 0xdbff && text[pos] === '\\' && text[pos + 1] === 'u' ? hexAt(text, pos + 2) : undefined;
    if (low !== undefined && low >= 0xdc00 && low <= 0xdfff) {
      pos += 6;
      continue;
    }
    return { message: `lone surrogate escape \\u${text.slice(at + 2, at + 6)} in a string (not a Unicode character)`, offset: at };
  }
}

function hexAt(text: string, at: number): number | undefined {
  const digits = text.slice(at, at + 4);
  return HEX4.test(digits) ? parseInt(digits, 16) : undefined;
}

/** Throws `code` naming `source` and the line and column of the first problem findJsonTextProblem finds. */
export function assertJsonText(text: string, maxDepth: number, source: string, code: ErrorCode): void {
  const problem = findJsonTextProblem(text, maxDepth);
  if (!problem) return;
  const head = text.slice(0, problem.offset);
  let line = 1;
  for (let i = head.indexOf('\n'); i !== -1; i = head.indexOf('\n', i + 1)) line += 1;
  const column = problem.offset - head.lastIndexOf('\n');
  throw new AppError(code, `${source}: ${problem.message} at line ${line}, column ${column}`, {
    details: [{ file: source, message: problem.message, line, column }],
  });
}

/**
 * JSON.parse with the guarantees of assertJsonText, at a fraction of its cost
 * on a large document: V8's JSON parser is iterative, so nesting is checked
 * on the parsed value, and the text is scanned only when it may hold a
 * surrogate escape or has a problem to locate (line and column) for the
 * error. A syntax error is thrown as JSON.parse throws it, after nesting
 * beyond the limit, which is reported first as before.
 */
export function parseGuardedJson(text: string, maxDepth: number, source: string, code: ErrorCode): unknown {
  if (hasSurrogateEscape(text)) assertJsonText(text, maxDepth, source, code);
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (err) {
    assertJsonText(text, maxDepth, source, code);
    throw err;
  }
  if (nestingExceeds(value, maxDepth)) {
    assertJsonText(text, maxDepth, source, code);
    throw new AppError(code, `${source}: nesting deeper than ${maxDepth} levels`, {
      details: [{ file: source, message: `nesting deeper than ${maxDepth} levels` }],
    });
  }
  return value;
}

/**
 * Whether the text holds a \uD800-\uDFFF escape: only such a text can hold a
 * lone surrogate, since UTF-8 bytes cannot encode one. A native search for
 * each `\u` is an order of magnitude faster on a large report than a regular
 * expression, which tries every backslash of its many escaped slashes and quotes.
 */
function hasSurrogateEscape(text: string): boolean {
  for (let at = text.indexOf('\\u'); at !== -1; at = text.indexOf('\\u', at + 2)) {
    // ASCII letters OR 0x20 are lower case: 'd' or 'D', then one of 8 9 a-f A-F.
    const third = text.charCodeAt(at + 2) | 0x20;
    const fourth = text.charCodeAt(at + 3) | 0x20;
    if (third === 0x64 && (fourth === 0x38 || fourth === 0x39 || (fourth >= 0x61 && fourth <= 0x66))) return true;
  }
  return false;
}

/**
 * Whether a parsed value nests containers more than `maxDepth` deep (the
 * root container is level 1). Iterative, so a hostile document cannot exhaust
 * the stack before the limit is seen; only containers are visited.
 */
export function nestingExceeds(root: unknown, maxDepth: number): boolean {
  const values: object[] = [];
  const depths: number[] = [];
  const visit = (child: unknown, depth: number): boolean => {
    if (child === null || typeof child !== 'object') return false;
    if (depth >= maxDepth) return true;
    values.push(child);
    depths.push(depth);
    return false;
  };
  if (visit(root, 0)) return true;
  while (values.length > 0) {
    const value = values.pop() as object;
    const depth = (depths.pop() as number) + 1;
    if (Array.isArray(value)) {
      for (const child of value as unknown[]) if (visit(child, depth)) return true;
    } else {
      for (const key in value) if (visit((value as Record<string, unknown>)[key], depth)) return true;
    }
  }
  return false;
}

/**
 * The JSON pointer of the first string (or object key) holding an unpaired
 * UTF-16 surrogate, which no UTF-8 encoder can write: found without recursion.
 */
export function findLoneSurrogate(root: unknown): string | undefined {
  const stack: Array<{ value: unknown; path: string }> = [{ value: root, path: '' }];
  while (stack.length > 0) {
    const { value, path } = stack.pop() as { value: unknown; path: string };
    if (typeof value === 'string') {
      if (LONE_SURROGATE.test(value)) return path || '/';
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    for (const [key, child] of Object.entries(value)) {
      const at = `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (LONE_SURROGATE.test(key)) return at;
      stack.push({ value: child, path: at });
    }
  }
  return undefined;
}
