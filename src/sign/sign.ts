import type { KeyObject } from 'node:crypto';
import { CompactSign } from 'jose';
import { compareUtf8 } from '../core/index.js';
import { DEFAULT_READ_LIMITS, readTarGz, writeTarGz, type BundleFile, type ReadLimits } from '../bundle/index.js';
import type { SigningAlgorithm } from './algorithms.js';
import { goPathMatch } from './glob.js';
import { DEFAULT_HASH_ALGORITHM, fileDigest, isSignaturesFile, SIGNATURES_PATH } from './hash.js';
import type { SignaturePayload, SignedFile } from './payload.js';

export interface SignOptions {
  readonly algorithm: SigningAlgorithm;
  /** A private KeyObject, or a secret one for HMAC; see loadSigningKey. */
  readonly key: KeyObject;
  /** Written as the header `kid` and the (deprecated) payload `keyid`, as `opa build` does. */
  readonly keyId?: string;
  /** Written verbatim; agents compare it for exact equality. */
  readonly scope?: string;
  /** Go filepath.Match globs of files left out of the signature; agents need the same exclude_files. */
  readonly excludeFiles?: readonly string[];
  /** `iat`, seconds since the epoch; default now. */
  readonly issuedAt?: number;
}

/** The payload OPA expects: every file but the signatures file, names without the leading `/`. */
export function signaturePayload(files: readonly BundleFile[], options: Omit<SignOptions, 'key' | 'algorithm'>): SignaturePayload {
  const excluded = options.excludeFiles ?? [];
  const signed: SignedFile[] = files
    .map((f) => ({ file: f, name: f.path.replace(/^\//, '') }))
    .filter(({ name }) => !isSignaturesFile(name) && !excluded.some((glob) => goPathMatch(glob, name)))
    .sort((a, b) => compareUtf8(a.name, b.name))
    .map(({ file, name }) => ({ name, hash: fileDigest(name, file.bytes), algorithm: DEFAULT_HASH_ALGORITHM }));
  return {
    files: signed,
    iat: options.issuedAt ?? Math.floor(Date.now() / 1000),
    ...(options.keyId === undefined ? {} : { keyid: options.keyId }),
    ...(options.scope === undefined ? {} : { scope: options.scope }),
  };
}

/** Signs the payload into a compact JWS whose header carries `alg` and `kid`. */
export async function signPayload(payload: SignaturePayload, options: SignOptions): Promise<string> {
  const header = { alg: options.algorithm, ...(options.keyId === undefined ? {} : { kid: options.keyId }) };
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader(header).sign(options.key);
}

/** `.signatures.json` as `opa sign` writes it: one JWT, indented by one space. */
export function signaturesFileBytes(jwt: string): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ signatures: [jwt] }, null, 1));
}

/**
 * Returns the bundle's files with a fresh `/.signatures.json` covering exactly
 * these bytes; any signatures file already present is dropped first.
 */
export async function signFiles(files: readonly BundleFile[], options: SignOptions): Promise<BundleFile[]> {
  const content = files.filter((f) => !isSignaturesFile(f.path));
  const jwt = await signPayload(signaturePayload(content, options), options);
  return [...content, { path: SIGNATURES_PATH, bytes: signaturesFileBytes(jwt) }];
}

/** Signs a bundle archive and returns the new archive (regular files only, in the deterministic layout). */
export async function signBundle(bytes: Uint8Array, options: SignOptions, limits: ReadLimits = DEFAULT_READ_LIMITS): Promise<Uint8Array> {
  return writeTarGz(await signFiles(readTarGz(bytes, limits), options));
}
