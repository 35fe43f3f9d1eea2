import { canonicalJson, compareUtf8, parseJsonPreserving } from '../core/index.js';

/** Characters a canonical string must escape or replace (core/canonical-json quote). */
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be escaped
const NEEDS_QUOTING = /["\\\u0000-\u001f\u2028\u2029\ud800-\udfff]/;
/** Keys with these code units sort differently in UTF-16 and UTF-8 order. */
const ASTRAL_OR_HIGH = /[\ud800-\uffff]/;

/**
 * OPA's canonical JSON of a structured bundle file, the same string as
 * core's canonicalJson(parseJsonPreserving(text)), computed faster: when every
 * number in the text is spelled the way JavaScript prints it, the native
 * parser loses nothing, so it is used; otherwise (1.0, 1E5, -0, big integers)
 * the lexeme-preserving parser is. Throws like parseJsonPreserving on bad JSON.
 */
export function canonicalizeJsonText(text: string, source: string): string {
  const chunks: string[] = [];
  writeCanonicalJsonText(text, source, (chunk) => chunks.push(chunk));
  return chunks.join('');
}

/**
 * Streams the canonical form to `sink` in chunks of about 64 KiB, so that a
 * large document is hashed without first building one huge string.
 */
export function writeCanonicalJsonText(text: string, source: string, sink: (chunk: string) => void): void {
  if (numbersRoundTrip(text)) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
    if (value !== undefined) {
      const writer = new ChunkWriter(sink);
      writer.value(value);
      writer.flush();
      return;
    }
  }
  sink(canonicalJson(parseJsonPreserving(text, source)));
}

/**
 * True when each number token reads back to the same spelling, so JSON.parse
 * keeps its exact lexeme. A hand-written scan: strings are skipped with
 * indexOf, and only numbers that are not short plain integers are re-printed.
 * Invalid JSON may pass; JSON.parse then rejects it.
 */
function numbersRoundTrip(text: string): boolean {
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      let end = text.indexOf('"', i + 1);
      while (end !== -1 && isEscaped(text, end)) end = text.indexOf('"', end + 1);
      if (end === -1) return false;
      i = end + 1;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      const start = i;
      let plain = true;
      i++;
      for (; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d >= 0x30 && d <= 0x39) continue;
        if (d === 0x2e || d === 0x65 || d === 0x45 || d === 0x2b || d === 0x2d) plain = false;
        else break;
      }
      const digits = i - start - (c === 0x2d ? 1 : 0);
      const lead = text.charCodeAt(c === 0x2d ? start + 1 : start);
      // Up to 15 digits without a leading zero is exact in a double and prints back unchanged.
      if (plain && digits <= 15 && (lead !== 0x30 || digits === 1) && !(c === 0x2d && lead === 0x30)) continue;
      const token = text.slice(start, i);
      if (String(Number(token)) !== token) return false;
    } else {
      i++;
    }
  }
  return true;
}

/** A quote at `at` is escaped when an odd number of backslashes precede it. */
function isEscaped(text: string, at: number): boolean {
  let backslashes = 0;
  for (let j = at - 1; j >= 0 && text.charCodeAt(j) === 0x5c; j--) backslashes++;
  return backslashes % 2 === 1;
}

const CHUNK = 64 * 1024;

/** Writes JSON.parse output in canonical form; strings needing escapes go through core's quoting. */
class ChunkWriter {
  private buffer = '';

  constructor(private readonly sink: (chunk: string) => void) {}

  flush(): void {
    if (this.buffer !== '') this.sink(this.buffer);
    this.buffer = '';
  }

  value(value: unknown): void {
    if (this.buffer.length > CHUNK) this.flush();
    if (typeof value === 'string') {
      this.buffer += NEEDS_QUOTING.test(value) ? canonicalJson(value) : `"${value}"`;
    } else if (value === null || typeof value !== 'object') {
      this.buffer += JSON.stringify(value);
    } else if (Array.isArray(value)) {
      this.buffer += '[';
      for (let i = 0; i < value.length; i++) {
        if (i > 0) this.buffer += ',';
        this.value(value[i]);
      }
      this.buffer += ']';
    } else {
      const object = value as Record<string, unknown>;
      const keys = Object.keys(object);
      // UTF-16 order equals UTF-8 byte order unless a key holds a code unit at or above U+D800.
      if (keys.some((k) => ASTRAL_OR_HIGH.test(k))) keys.sort(compareUtf8);
      else keys.sort();
      this.buffer += '{';
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i] as string;
        if (i > 0) this.buffer += ',';
        this.buffer += NEEDS_QUOTING.test(key) ? canonicalJson(key) : `"${key}"`;
        this.buffer += ':';
        this.value(object[key]);
      }
      this.buffer += '}';
    }
  }
}
