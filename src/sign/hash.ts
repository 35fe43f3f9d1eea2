import { createHash } from 'node:crypto';
import { AppError, canonicalJson, wrapError, yaml, type JsonValue } from '../core/index.js';
import { writeCanonicalJsonText } from './canonical.js';

/** The one hash algorithm portcullis writes, as OPA's tools do. */
export const DEFAULT_HASH_ALGORITHM = 'SHA-256';

/** OPA's `files[_].algorithm` names (bundle/hash.go) and their node:crypto names. */
const HASHES: Readonly<Record<string, string>> = {
  MD5: 'md5',
  'SHA-1': 'sha1',
  'SHA-224': 'sha224',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
  'SHA-512-224': 'sha512-224',
  'SHA-512-256': 'sha512-256',
};

/**
 * OPA 1.22's IsStructuredDoc: these basenames are hashed as canonical JSON.
 * `data.yml` is in the list since OPA 1.x treats it as data (source over docs).
 */
const STRUCTURED = new Set(['data.json', 'data.yaml', 'data.yml', '.manifest']);

export const SIGNATURES_BASENAME = '.signatures.json';
export const SIGNATURES_PATH = `/${SIGNATURES_BASENAME}`;

function basename(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}

export function isStructuredDoc(name: string): boolean {
  return STRUCTURED.has(basename(name));
}

/** OPA takes any entry with this basename, at any depth, as the signatures file. */
export function isSignaturesFile(name: string): boolean {
  return basename(name) === SIGNATURES_BASENAME;
}

export function isHashAlgorithm(name: string): boolean {
  return Object.hasOwn(HASHES, name);
}

/**
 * The hex digest OPA computes for a bundle file (hash.go walk): raw bytes, or
 * for structured documents the canonical JSON of the parsed value, so that
 * whitespace and key order do not matter but number spelling does.
 */
export function fileDigest(name: string, bytes: Uint8Array, algorithm: string = DEFAULT_HASH_ALGORITHM): string {
  const hash = HASHES[algorithm];
  if (hash === undefined) throw new AppError('SIGNATURE_INVALID', `unsupported hashing algorithm: ${algorithm}`);
  const h = createHash(hash);
  if (isStructuredDoc(name)) hashStructured(name, bytes, (chunk) => h.update(chunk));
  else h.update(bytes);
  return h.digest('hex');
}

/** OPA's util.Unmarshal then hash.go walk: strip a BOM, take JSON if it is valid JSON, else YAML converted to JSON. */
function hashStructured(name: string, bytes: Uint8Array, sink: (chunk: string) => void): void {
  let text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let written = false;
  try {
    writeCanonicalJsonText(text, name, (chunk) => {
      written = true;
      sink(chunk);
    });
  } catch (jsonErr) {
    // The text parsed as JSON but could not be written (nesting too deep): no YAML retry over a half-fed hash.
    if (written) throw wrapError(jsonErr, 'SIGNATURE_INVALID', name);
    try {
      sink(canonicalJson(yaml().parse(text, { version: '1.1', intAsBigInt: true }) as JsonValue));
    } catch {
      throw wrapError(jsonErr, 'SIGNATURE_INVALID', name);
    }
  }
}
