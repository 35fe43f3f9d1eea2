import { resolve } from 'node:path';
import { loadConfig } from '../../config/index.js';
import { AppError, EXIT } from '../../core/index.js';
import { ANNOTATIONS, fetchBundleLayer, formatReference, parseReference, RegistryClient, resolveBundle, type ResolvedBundle } from '../../oci/index.js';
import { registryAccess, type RegistryFlags } from '../registry.js';
import type { VerifyCommandOptions } from './verify.js';

export interface PullCommandOptions extends RegistryFlags, Partial<Omit<VerifyCommandOptions, 'alg'>> {
  readonly alg?: string;
  readonly output?: string;
  readonly json?: boolean;
}

const SAFE_FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;

/**
 * Pulls the bundle REF names, as an OPA agent would (indexes followed, every
 * digest checked), verifies its signature when a key is given, and only then
 * writes it: a bundle that fails any check is never written.
 */
export async function pull(
  refText: string,
  options: PullCommandOptions,
  env: Readonly<Record<string, string | undefined>>,
  userAgent: string,
): Promise<number> {
  const config = await loadConfig(undefined);
  const ref = parseReference(refText, 'REF');
  const verifying = verificationOf(options);
  const client = new RegistryClient(ref.registry, await registryAccess(options, env, userAgent));
  let resolved: ResolvedBundle;
  let output: string;
  let size: number;
  let signature: string | undefined;
  try {
    resolved = await resolveBundle(client, ref);
    output = options.output ?? defaultFileName(resolved);
    if (verifying || output === '-') {
      // A signature is checked on the whole archive, in memory, before anything is written.
      const bytes = await fetchBundleLayer(client, ref, resolved.layer, { maxBytes: config.limits.maxArchiveBytes });
      if (verifying) signature = await (await import('./verify.js')).checkSignature(bytes, verifying, env, config.limits);
      if (output === '-') process.stdout.write(bytes);
      else await (await import('../../compile/index.js')).writeFileAtomic(resolve(output), bytes);
      size = bytes.byteLength;
    } else {
      // Without a key the layer streams straight into its file.
      await fetchBundleLayer(client, ref, resolved.layer, { maxBytes: config.limits.maxArchiveBytes, toFile: resolve(output) });
      size = resolved.layer.size;
    }
  } finally {
    client.close();
  }
  const report = {
    ref: formatReference(ref),
    digest: resolved.digest,
    layer: resolved.layer.digest,
    size,
    revision: resolved.annotations[ANNOTATIONS.revision] ?? null,
    file: output === '-' ? null : resolve(output),
    signature: signature ?? null,
  };
  const out = output === '-' ? process.stderr : process.stdout;
  if (options.json) out.write(`${JSON.stringify(report, null, 2)}\n`);
  else {
    out.write(`Pulled ${report.ref}\nDigest: ${report.digest}\nLayer: ${report.layer} (${report.size} bytes)\n`);
    if (report.revision !== null) out.write(`Revision: ${report.revision}\n`);
    if (signature !== undefined) out.write(`Signature: ${signature}\n`);
    if (report.file !== null) out.write(`Saved ${report.file}\n`);
  }
  return EXIT.OK;
}

/** The key flags when --alg is given; a key flag without --alg is a usage error, never a silent skip of verification. */
function verificationOf(options: PullCommandOptions): VerifyCommandOptions | undefined {
  if (options.alg !== undefined) return { ...options, alg: options.alg };
  const given = [
    options.key && '--key',
    options.secretFile && '--secret-file',
    options.secretEnv && '--secret-env',
    options.kid && '--kid',
    options.scope && '--scope',
  ]
    .filter(Boolean)
    .concat(options.exclude?.length ? ['--exclude'] : []);
  if (given.length > 0) throw new AppError('USAGE', `${given.join(', ')} verify the signature only with --alg`);
  return undefined;
}

/** The layer's title (what oras pull would name the file) when it is a plain file name, else bundle.tar.gz. */
function defaultFileName(resolved: ResolvedBundle): string {
  const title = resolved.layer.annotations?.[ANNOTATIONS.title];
  return title !== undefined && SAFE_FILE_NAME.test(title) ? title : 'bundle.tar.gz';
}
