import { JsonNumber } from './json-number.js';

const utf8 = new TextEncoder();

/**
 * OPA's canonical JSON (bundle hash.go): compact, object keys sorted by their
 * UTF-8 bytes, Go string escapes without HTML escaping, numbers as their lexeme.
 * Signing hashes exactly this form of data.json and .manifest, so data.json is
 * also written in it: OPA's re-serialisation is then a fixed point.
 */
export function canonicalJson(value: unknown): string {
  const parts: string[] = [];
  write(value, parts);
  return parts.join('');
}

export function canonicalJsonBytes(value: unknown): Uint8Array {
  return utf8.encode(canonicalJson(value));
}

function write(value: unknown, out: string[]): void {
  if (value === null || value === undefined) {
    out.push('null');
  } else if (typeof value === 'string') {
    out.push(quote(value));
  } else if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`cannot encode ${value} as JSON`);
    out.push(JSON.stringify(value));
  } else if (typeof value === 'bigint') {
    out.push(value.toString());
  } else if (typeof value === 'boolean') {
    out.push(value ? 'true' : 'false');
  } else if (value instanceof JsonNumber) {
    out.push(value.lexeme);
  } else if (Array.isArray(value)) {
    writeArray(value, out);
  } else if (typeof value === 'object') {
    writeObject(value as Record<string, unknown>, out);
  } else {
    throw new TypeError(`cannot encode a ${typeof value} as JSON`);
  }
}

function writeArray(values: readonly unknown[], out: string[]): void {
  out.push('[');
  values.forEach((item, i) => {
    if (i > 0) out.push(',');
    write(item, out);
  });
  out.push(']');
}

function writeObject(object: Record<string, unknown>, out: string[]): void {
  const keys = Object.keys(object).filter((k) => object[k] !== undefined);
  keys.sort(compareUtf8);
  out.push('{');
  keys.forEach((key, i) => {
    if (i > 0) out.push(',');
    out.push(quote(key), ':');
    write(object[key], out);
  });
  out.push('}');
}

/** Byte-wise UTF-8 order equals code point order, which differs from UTF-16 order above U+FFFF. */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

const SHORT_ESCAPES: Record<number, string> = {
  0x22: '\\"',
  0x5c: '\\\\',
  0x08: '\\b',
  0x0c: '\\f',
  0x0a: '\\n',
  0x0d: '\\r',
  0x09: '\\t',
  0x2028: '\\u2028',
  0x2029: '\\u2029',
};

function quote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    const short = SHORT_ESCAPES[cp];
    if (short !== undefined) out += short;
    else if (cp < 0x20) out += `\\u00${cp.toString(16).padStart(2, '0')}`;
    else if (cp >= 0xd800 && cp <= 0xdfff) out += '\ufffd';
    else out += ch;
  }
  return out + '"';
}
