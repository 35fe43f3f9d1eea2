import { dirname, join } from 'node:path';
import type { BundleFile } from '../bundle/index.js';
import { parseAlgorithm } from './algorithms.js';
import { keyFingerprint, loadSigningKey } from './keys.js';
import { readKeyMaterial, type KeySource } from './material.js';
import { signFiles, type SignOptions } from './sign.js';

/** A bundle definition's `signing` block; key paths are relative to the definition file. */
export interface DefinitionSigningSettings {
  readonly algorithm: string;
  readonly key?: string;
  readonly secret_file?: string;
  readonly secret_env?: string;
  readonly keyid?: string;
  readonly scope?: string;
  readonly exclude_files?: readonly string[];
}

/**
 * Loads the key of a definition's signing block up front, so a bad key fails
 * the build before anything is compiled. The cache claims are the settings and
 * the key's public fingerprint, never the key or its path.
 */
export async function prepareDefinitionSigning(
  s: DefinitionSigningSettings,
  definitionFile: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<{ cacheClaims: Record<string, unknown>; sign: (files: readonly BundleFile[]) => Promise<BundleFile[]> }> {
  const algorithm = parseAlgorithm(s.algorithm, `${definitionFile}: signing.algorithm`);
  const from = dirname(definitionFile);
  const source: KeySource =
    s.key !== undefined
      ? { file: join(from, s.key) }
      : s.secret_file !== undefined
        ? { secretFile: join(from, s.secret_file) }
        : { secretEnv: s.secret_env ?? '' };
  const label = `${definitionFile}: signing key`;
  const key = loadSigningKey(await readKeyMaterial(source, algorithm, env, label), algorithm, label);
  const options: SignOptions = {
    algorithm,
    key,
    excludeFiles: s.exclude_files ?? [],
    ...(s.keyid === undefined ? {} : { keyId: s.keyid }),
    ...(s.scope === undefined ? {} : { scope: s.scope }),
  };
  return {
    cacheClaims: { algorithm, keyid: s.keyid ?? null, scope: s.scope ?? null, exclude_files: s.exclude_files ?? [], key: keyFingerprint(key) },
    sign: (files) => signFiles(files, options),
  };
}
