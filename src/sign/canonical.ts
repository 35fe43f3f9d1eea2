import { canonicalJson, compareUtf8, parseJsonPreserving, type JsonValue } from '../core/index.js';

/** Every JSON token that matters for the number check: strings (skipped, unrolled for speed) and numbers. */
const TOKENS = /"[^"\\]*(?:\\.[^"\\]*)*"|-?[0-9][-+.eE0-9]*/g;
/** Integers this short always print back as written (up to 15 digits is exact in a double). */
const PLAIN_INTEGER = /^-?[1-9][0-9]{0,14}$|^0$/;
/** Characters a canonical string must escape or replace (core/canonical-json quote). */
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
  if (numbersRoundTrip(text)) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
    if (value !== undefined) return write(value);
  }
  return canonicalJson(parseJsonPreserving(text, source) as JsonValue);
}

/** True when each number token reads back to the same spelling, so JSON.parse keeps its exact lexeme. */
function numbersRoundTrip(text: string): boolean {
  TOKENS.lastIndex = 0;
  for (let m = TOKENS.exec(text); m !== null; m = TOKENS.exec(text)) {
    const token = m[0];
    if (token.charCodeAt(0) === 0x22 || PLAIN_INTEGER.test(token)) continue;
    if (String(Number(token)) !== token) return false;
  }
  return true;
}

function write(value: unknown): string {
  if (typeof value === 'string') return NEEDS_QUOTING.test(value) ? canonicalJson(value) : `"${value}"`;
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i > 0 ? ',' : '') + write(value[i]);
    return `${out}]`;
  }
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object);
  // UTF-16 order equals UTF-8 byte order unless a key holds a code unit at or above U+D800.
  if (keys.some((k) => ASTRAL_OR_HIGH.test(k))) keys.sort(compareUtf8);
  else keys.sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    out += `${i > 0 ? ',' : ''}${write(key)}:${write(object[key])}`;
  }
  return `${out}}`;
}
