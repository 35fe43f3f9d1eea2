import type { ReadLimits } from '../../bundle/index.js';
import { loadConfig } from '../../config/index.js';
import { AppError, EXIT, isAppError } from '../../core/index.js';
import { loadVerificationKey, parseAlgorithm, readKeyMaterial, verifyBundle } from '../../sign/index.js';
import { readInputFile } from '../io.js';
import { keySourceFrom, type SignCommandOptions } from './sign.js';

/** The signing flags without the output file: verify takes the same key, algorithm, key id, scope and excludes. */
export type VerifyCommandOptions = Omit<SignCommandOptions, 'output'>;

/** Without --kid the one key is pinned, as `opa run --verification-key` pins its key id "default". */
const PINNED_KEY_ID = 'default';

/** Bundle problems found while reading the archive: the bundle is not valid, exit 1 like a bad signature. */
const ARCHIVE_CODES = new Set(['BUNDLE_INVALID', 'BUNDLE_TOO_LARGE']);

/**
 * Verifies BUNDLE as an OPA agent would: exit 0 when it would activate it,
 * 1 with OPA's reason when it would refuse it, 2 on usage errors.
 */
export async function verify(bundlePath: string, options: VerifyCommandOptions, env: Readonly<Record<string, string | undefined>>): Promise<number> {
  const config = await loadConfig(undefined);
  const bytes = await readInputFile(bundlePath, config.limits.maxArchiveBytes);
  const summary = await checkSignature(bytes, options, env, config.limits);
  process.stdout.write(`${bundlePath}: ${summary}\n`);
  return EXIT.OK;
}

/** Checks a bundle's signature with the key the flags name; SIGNATURE_INVALID (exit 1) with OPA's reason when an agent would refuse it. */
export async function checkSignature(
  bytes: Uint8Array,
  options: VerifyCommandOptions,
  env: Readonly<Record<string, string | undefined>>,
  limits: ReadLimits,
): Promise<string> {
  const algorithm = parseAlgorithm(options.alg, '--alg');
  const key = loadVerificationKey(await readKeyMaterial(keySourceFrom(options, algorithm), algorithm, env), algorithm, 'verification key');
  const keyId = options.kid ?? PINNED_KEY_ID;
  try {
    const result = await verifyBundle(
      bytes,
      {
        keys: new Map([[keyId, { algorithm, key }]]),
        // With --kid the token must name the key itself (kid header or keyid claim).
        ...(options.kid === undefined ? { keyId } : {}),
        ...(options.scope === undefined ? {} : { scope: options.scope }),
        excludeFiles: options.exclude ?? [],
      },
      limits,
    );
    const excluded = result.excluded > 0 ? `, ${result.excluded} excluded` : '';
    return `signature valid (key ${result.keyId ?? keyId}, ${result.verified} files${excluded})`;
  } catch (err) {
    if (isAppError(err) && ARCHIVE_CODES.has(err.code)) throw new AppError('SIGNATURE_INVALID', err.message, { cause: err });
    throw err;
  }
}
