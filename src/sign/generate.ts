import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../core/index.js';
import { curveFor, keyFamily, type SigningAlgorithm } from './algorithms.js';
import { keyFingerprint, loadSigningKey } from './keys.js';

export interface GeneratedKey {
  readonly algorithm: SigningAlgorithm;
  readonly keyId: string;
  /** PKCS#8 PEM, or for HMAC the secret (URL-safe text, so it can sit in an OPA config as is). */
  readonly privateMaterial: Uint8Array;
  /** SPKI PEM; absent for HMAC, whose only key is the secret. */
  readonly publicPem?: string;
}

export interface KeyFiles {
  readonly keyId: string;
  readonly algorithm: SigningAlgorithm;
  readonly privateKey: string;
  readonly publicKey?: string;
}

/** HMAC secrets as long as the hash output, the size RFC 7518 asks for. */
const HMAC_BYTES: Readonly<Record<string, number>> = { HS256: 32, HS384: 48, HS512: 64 };

const KEY_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function assertKeyId(keyId: string): void {
  if (!KEY_ID.test(keyId)) throw new AppError('USAGE', `key id '${keyId}' must be 1-128 letters, digits, '.', '_' or '-'`);
}

/** A fresh key for `alg`; the default key id is derived from the public key, so ids of distinct keys differ. */
export function generateKeyMaterial(alg: SigningAlgorithm, keyId?: string): GeneratedKey {
  if (keyId !== undefined) assertKeyId(keyId);
  const family = keyFamily(alg);
  if (family === 'hmac') {
    const secret = new TextEncoder().encode(randomBytes(HMAC_BYTES[alg] ?? 32).toString('base64url'));
    const id = keyId ?? `${alg.toLowerCase()}-${keyFingerprint(loadSigningKey(secret, alg, 'generated secret')).slice(0, 12)}`;
    return { algorithm: alg, keyId: id, privateMaterial: secret };
  }
  const pair = family === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 3072 }) : generateKeyPairSync('ec', { namedCurve: curveFor(alg) as string });
  const id = keyId ?? `${alg.toLowerCase()}-${keyFingerprint(pair.publicKey).slice(0, 12)}`;
  return {
    algorithm: alg,
    keyId: id,
    privateMaterial: new TextEncoder().encode(pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string),
    publicPem: pair.publicKey.export({ type: 'spki', format: 'pem' }) as string,
  };
}

/**
 * Writes `<kid>.key.pem` (0600) and `<kid>.pub.pem` (0644), or `<kid>.secret`
 * (0600) for HMAC. Never overwrites: an existing file is an error, so a key
 * in use cannot be clobbered by accident.
 */
export async function writeKeyFiles(dir: string, key: GeneratedKey): Promise<KeyFiles> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (key.publicPem === undefined) {
    const secretPath = join(dir, `${key.keyId}.secret`);
    await writeNew(secretPath, key.privateMaterial, 0o600);
    return { keyId: key.keyId, algorithm: key.algorithm, privateKey: secretPath };
  }
  const privatePath = join(dir, `${key.keyId}.key.pem`);
  const publicPath = join(dir, `${key.keyId}.pub.pem`);
  await writeNew(privatePath, key.privateMaterial, 0o600);
  await writeNew(publicPath, new TextEncoder().encode(key.publicPem), 0o644);
  return { keyId: key.keyId, algorithm: key.algorithm, privateKey: privatePath, publicKey: publicPath };
}

/** Creates the file with its final mode from the start (no window where a key is world-readable). */
async function writeNew(path: string, bytes: Uint8Array, mode: number): Promise<void> {
  const handle = await open(path, 'wx', mode).catch((err: NodeJS.ErrnoException) => {
    const why = err.code === 'EEXIST' ? 'already exists; refusing to overwrite a key' : `cannot be created (${err.code ?? 'error'})`;
    throw new AppError('USAGE', `${path} ${why}`, { cause: err });
  });
  try {
    await handle.write(bytes);
    // The umask may have narrowed the mode; chmod makes it exactly what was asked.
    await handle.chmod(mode);
  } finally {
    await handle.close();
  }
}
