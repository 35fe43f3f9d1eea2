import { resolve } from 'node:path';
import { loadConfig } from '../../config/index.js';
import { writeFileAtomic } from '../../compile/index.js';
import { AppError, EXIT } from '../../core/index.js';
import { loadSigningKey, parseAlgorithm, readKeyMaterial, signBundle, type KeySource, type SigningAlgorithm } from '../../sign/index.js';
import { readInputFile } from '../io.js';

export interface SignCommandOptions {
  readonly key?: string;
  readonly secretFile?: string;
  readonly secretEnv?: string;
  readonly alg: string;
  readonly kid?: string;
  readonly scope?: string;
  readonly exclude?: readonly string[];
  readonly output?: string;
}

/** The key source the flags name: exactly one of --key, --secret-file, --secret-env. */
export function keySourceFrom(options: Pick<SignCommandOptions, 'key' | 'secretFile' | 'secretEnv'>, alg: SigningAlgorithm): KeySource {
  const given = [options.key, options.secretFile, options.secretEnv].filter((v) => v !== undefined);
  if (given.length !== 1) {
    const want = alg.startsWith('HS') ? '--secret-file FILE or --secret-env VAR' : '--key FILE';
    throw new AppError('USAGE', `${alg} needs exactly one of ${want}`);
  }
  if (options.key !== undefined) return { file: options.key };
  if (options.secretFile !== undefined) return { secretFile: options.secretFile };
  return { secretEnv: options.secretEnv as string };
}

/** Signs BUNDLE (in place unless -o) so that OPA agents configured with the key accept it. */
export async function sign(bundlePath: string, options: SignCommandOptions, env: Readonly<Record<string, string | undefined>>): Promise<number> {
  const config = await loadConfig(undefined);
  const algorithm = parseAlgorithm(options.alg, '--alg');
  const source = keySourceFrom(options, algorithm);
  const key = loadSigningKey(await readKeyMaterial(source, algorithm, env), algorithm, 'signing key');
  const bytes = await readInputFile(bundlePath, config.limits.maxArchiveBytes);
  const signed = await signBundle(
    bytes,
    {
      algorithm,
      key,
      ...(options.kid === undefined ? {} : { keyId: options.kid }),
      ...(options.scope === undefined ? {} : { scope: options.scope }),
      excludeFiles: options.exclude ?? [],
    },
    config.limits,
  );
  const out = resolve(options.output ?? bundlePath);
  await writeFileAtomic(out, signed);
  process.stdout.write(`signed ${out} with ${algorithm}${options.kid === undefined ? '' : ` key ${options.kid}`}\n`);
  return EXIT.OK;
}
