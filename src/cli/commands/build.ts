import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../config/index.js';
import { buildBundles, compilerIdentity, OpaCompiler, resolveToolchain } from '../../compile/index.js';
import { AppError, EXIT } from '../../core/index.js';
import { humanBytes, renderTable } from '../../report/index.js';
import { registryAccess, type RegistryFlags } from '../registry.js';

export interface BuildCommandOptions extends RegistryFlags {
  readonly bundles?: string;
  readonly out?: string;
  readonly json?: boolean;
  /** Push every built bundle as <push>:<name> once all are built. */
  readonly push?: string;
  readonly source?: string;
}

export async function build(options: BuildCommandOptions, env: Readonly<Record<string, string | undefined>> = {}, userAgent = 'portcullis'): Promise<number> {
  const config = await loadConfig(undefined);
  // The prefix is checked before compiling, so a typo costs no build.
  const prefix = options.push === undefined ? undefined : await pushPrefix(options.push);
  let compiler: OpaCompiler | undefined;
  const results = await buildBundles({
    definitionsDir: resolve(options.bundles ?? config.definitionsDir),
    outDir: resolve(options.out ?? config.bundlesDir),
    cacheDir: join(config.stateDir, 'cache'),
    compilerId: compilerIdentity(),
    compiler: () => (compiler ??= new OpaCompiler(resolveToolchain(config.tools, join(config.stateDir, 'toolchain.json')))),
    signer: async (signing, file, env) => (await import('../../sign/index.js')).prepareDefinitionSigning(signing, file, env),
  });
  if (options.json && prefix === undefined) {
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    return EXIT.OK;
  }
  if (!options.json) {
    const rows = results.map((r) => [r.name, r.revision, String(r.files), humanBytes(r.size), r.entrypoints.join(', '), r.written ? 'written' : 'unchanged']);
    process.stdout.write(`${renderTable(['BUNDLE', 'REVISION', 'FILES', 'SIZE', 'ENTRYPOINTS', 'OUTPUT'], rows)}\n`);
  }
  if (prefix === undefined) return EXIT.OK;
  const { parseReference } = await import('../../oci/index.js');
  const { pushBundleFile, printPublished, sourceUrl } = await import('./push.js');
  const access = await registryAccess(options, env, userAgent);
  const pushed = [];
  for (const r of results) {
    const ref = parseReference(`${prefix}:${r.name}`, '--push');
    pushed.push(await pushBundleFile(r.path, await readFile(r.path), r.name, [ref], access, config.limits, sourceUrl(options.source, env)));
  }
  if (options.json) process.stdout.write(`${JSON.stringify({ bundles: results, pushed }, null, 2)}\n`);
  else printPublished(pushed, false);
  return EXIT.OK;
}

/** host[:port]/repository, without a tag or digest: each bundle's name becomes its tag. */
async function pushPrefix(text: string): Promise<string> {
  const { parseReference } = await import('../../oci/index.js');
  const ref = parseReference(text, '--push');
  if (ref.tag !== undefined || ref.digest !== undefined) {
    throw new AppError(
      'REFERENCE_INVALID',
      `--push '${text}' names a tag or digest; give host[:port]/repository, and each bundle is pushed as repository:<bundle name>`,
    );
  }
  return text;
}
