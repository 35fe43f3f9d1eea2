import type { KeyObject } from 'node:crypto';
import { compactVerify } from 'jose';
import { AppError, compareUtf8, messageOf } from '../core/index.js';
import { DEFAULT_READ_LIMITS, readTarGz, type BundleFile, type ReadLimits } from '../bundle/index.js';
import type { SigningAlgorithm } from './algorithms.js';
import { goPathMatch } from './glob.js';
import { fileDigest, isHashAlgorithm, isSignaturesFile } from './hash.js';
import { decodePayload, decodeSignaturesDocument, type SignaturePayload, type SignedFile } from './payload.js';

/** One trusted key, as OPA's `keys.<id>` block: the algorithm comes from here, never from the token. */
export interface VerificationKey {
  readonly algorithm: SigningAlgorithm;
  /** A public KeyObject, or a secret one for HMAC; see loadVerificationKey. */
  readonly key: KeyObject;
  readonly scope?: string;
}

/** OPA's bundle `signing` block plus the `keys` it may use. */
export interface VerifyOptions {
  readonly keys: ReadonlyMap<string, VerificationKey>;
  /** Pins the key: when set, the token's `kid` and `keyid` are not consulted. */
  readonly keyId?: string;
  /** Expected scope; when empty, the key's scope; compared for exact equality with the payload's. */
  readonly scope?: string;
  readonly excludeFiles?: readonly string[];
  /**
   * Whether an unsigned bundle fails (default true). OPA requires a signature
   * whenever a bundle has a `signing` block; false mirrors a bundle without one.
   */
  readonly required?: boolean;
}

export interface VerifyResult {
  readonly signed: boolean;
  readonly keyId?: string;
  /** Files whose digest was checked. */
  readonly verified: number;
  /** Files skipped by exclude_files. */
  readonly excluded: number;
}

function invalid(message: string): AppError {
  return new AppError('SIGNATURE_INVALID', message);
}

/**
 * Verifies a bundle's files exactly as OPA's bundle reader does (bundle.go
 * Read/checkSignaturesAndDescriptors, verify.go), with OPA's error wording,
 * and throws SIGNATURE_INVALID with the first reason OPA would give.
 */
export async function verifyFiles(files: readonly BundleFile[], options: VerifyOptions): Promise<VerifyResult> {
  const signatureFiles = files.filter((f) => isSignaturesFile(f.path));
  if (signatureFiles.length > 1) {
    const [a, b] = signatureFiles as [BundleFile, BundleFile];
    throw invalid(`bundle contains multiple signatures files: ${JSON.stringify(a.path)} and ${JSON.stringify(b.path)}`);
  }
  const document = signatureFiles[0] ? decodeSignaturesDocument(signatureFiles[0].bytes) : undefined;
  // OPA treats a missing file and one without a `signatures` member alike (SignaturesConfig.isEmpty).
  if (!document || (document.signatures === null && document.plugin === '')) {
    if (options.required ?? true) throw invalid('bundle missing .signatures.json file');
    return { signed: false, verified: 0, excluded: 0 };
  }
  if (options.keys.size === 0) throw invalid('verification key not provided');
  // `opa build` writes plugin "_default", the id of OPA's built-in verifier; any other id is a custom Go plugin.
  if (document.plugin !== '' && document.plugin !== DEFAULT_VERIFIER) throw invalid(`no verifier exists under id ${document.plugin}`);
  const tokens = document.signatures ?? [];
  if (tokens.length === 0) throw invalid('.signatures.json: missing JWT (expected exactly one)');
  if (tokens.length > 1) throw invalid('.signatures.json: multiple JWTs not supported (expected exactly one)');
  const { payload, keyId } = await verifyToken(tokens[0] as string, options);
  const counts = checkFiles(files, payload.files, options.excludeFiles ?? []);
  return { signed: true, keyId, ...counts };
}

/** Reads an archive with the bundle reader's limits and checks, then verifies it. */
export async function verifyBundle(bytes: Uint8Array, options: VerifyOptions, limits: ReadLimits = DEFAULT_READ_LIMITS): Promise<VerifyResult> {
  return verifyFiles(readTarGz(bytes, limits), options);
}

const DEFAULT_VERIFIER = '_default';

const BASE64URL = /^[A-Za-z0-9_-]*$/;

function base64url(part: string, what: string): string {
  if (!BASE64URL.test(part) || part.length % 4 === 1) throw invalid(`failed to base64 decode JWT ${what}`);
  return Buffer.from(part, 'base64url').toString('utf8');
}

/** verify.go verifyJWTSignature: key id resolution, signature with the configured algorithm, scope. */
async function verifyToken(token: string, options: VerifyOptions): Promise<{ payload: SignaturePayload; keyId: string }> {
  const parts = token.split('.');
  if (parts.length !== 3) throw invalid('failed to split compact JWT: invalid number of segments');
  const [header, body] = parts as [string, string, string];
  let keyId = options.keyId ?? '';
  if (keyId === '') keyId = headerKeyId(header);
  const payload = decodePayload(base64url(body, 'payload'));
  if (keyId === '') keyId = payload.keyid ?? '';
  if (keyId === '') throw invalid('verification key ID is empty');
  const trusted = options.keys.get(keyId);
  if (!trusted) throw invalid(`verification key corresponding to ID ${keyId} not found`);
  try {
    // `algorithms` pins the configured algorithm: a token whose header says
    // `none`, or HS256 over a public key, is refused before any crypto runs.
    await compactVerify(token, trusted.key, { algorithms: [trusted.algorithm] });
  } catch (err) {
    throw invalid(`failed to verify JWT signature: ${messageOf(err)}`);
  }
  const scope = options.scope || trusted.scope || '';
  if ((payload.scope ?? '') !== scope) throw invalid('scope mismatch');
  return { payload, keyId };
}

function headerKeyId(header: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(base64url(header, 'header'));
  } catch (err) {
    throw invalid(`failed to extract key ID from headers: ${messageOf(err)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw invalid('failed to extract key ID from headers: header is not a JSON object');
  const kid = (parsed as Record<string, unknown>)['kid'];
  if (kid === undefined) return '';
  if (typeof kid !== 'string') throw invalid('failed to extract key ID from headers: kid is not a string');
  return kid;
}

/** Every file listed with a matching digest, every listed file present; exclusions skipped (bundle.go Read). */
function checkFiles(files: readonly BundleFile[], listed: readonly SignedFile[], exclude: readonly string[]): { verified: number; excluded: number } {
  const remaining = new Map(listed.map((f) => [f.name, f]));
  let verified = 0;
  let excluded = 0;
  for (const file of files) {
    if (isSignaturesFile(file.path)) continue;
    const name = file.path.replace(/^\//, '');
    if (exclude.some((glob) => goPathMatch(glob, name))) {
      remaining.delete(name);
      excluded++;
      continue;
    }
    const entry = remaining.get(name);
    if (!entry) throw invalid(`file ${name} not included in bundle signature`);
    if (entry.algorithm === '') throw invalid(`no hashing algorithm provided for file ${name}`);
    if (!isHashAlgorithm(entry.algorithm)) throw invalid(`unsupported hashing algorithm: ${entry.algorithm}`);
    if (!/^(?:[0-9a-fA-F]{2})*$/.test(entry.hash)) throw invalid(`${name}: the signed digest is not hex`);
    const got = fileDigest(name, file.bytes, entry.algorithm);
    const want = entry.hash.toLowerCase();
    if (want !== got) throw invalid(`${name}: digest mismatch (want: ${want}, got: ${got})`);
    // Deleting mirrors OPA: a second entry with the same name is then "not included".
    remaining.delete(name);
    verified++;
  }
  if (remaining.size > 0) {
    const names = [...remaining.keys()].sort(compareUtf8).join(' ');
    throw invalid(`file(s) [${names}] specified in bundle signatures but not found in the target bundle`);
  }
  return { verified, excluded };
}
