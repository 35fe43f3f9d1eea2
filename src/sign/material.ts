import { readFile } from 'node:fs/promises';
import { AppError } from '../core/index.js';
import { isHmac, type SigningAlgorithm } from './algorithms.js';

/** Where key material comes from. Secrets are never taken from a command line or a config value. */
export type KeySource = { readonly file: string } | { readonly secretFile: string } | { readonly secretEnv: string };

/** Describes a source for messages: a file name or a variable name, never the material. */
export function describeKeySource(source: KeySource): string {
  if ('secretEnv' in source) return `environment variable ${source.secretEnv}`;
  return 'file' in source ? source.file : source.secretFile;
}

/**
 * Reads key material for `alg`: a PEM file for RSA/ECDSA, and for HMAC a
 * secret file or environment variable, taken byte for byte as OPA does.
 */
export async function readKeyMaterial(
  source: KeySource,
  alg: SigningAlgorithm,
  env: Readonly<Record<string, string | undefined>>,
  /** Names the key in errors instead of its path, where even the path must stay private. */
  label?: string,
): Promise<Uint8Array> {
  const hmac = isHmac(alg);
  if ('file' in source && hmac) throw new AppError('USAGE', `${alg} uses a shared secret: give it as a secret file or environment variable, not a key file`);
  if (!('file' in source) && !hmac) throw new AppError('USAGE', `${alg} needs a PEM key file, not a shared secret`);
  if ('secretEnv' in source) {
    const value = env[source.secretEnv];
    if (value === undefined || value === '')
      throw new AppError('KEY_INVALID', `${label ?? `environment variable ${source.secretEnv}`}: the variable is not set or empty`);
    return new TextEncoder().encode(value);
  }
  const path = 'file' in source ? source.file : source.secretFile;
  try {
    return new Uint8Array(await readFile(path));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const hint = code === 'ENOENT' ? '; create a key pair with portcullis keys generate --alg <alg> --out <dir>' : '';
    throw new AppError('FILE_NOT_FOUND', `${label ?? `key file ${path}`} cannot be read: ${code ?? 'error'}${hint}`, { cause: err });
  }
}
