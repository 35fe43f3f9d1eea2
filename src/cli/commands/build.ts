import { join, resolve } from 'node:path';
import { loadConfig } from '../../config/index.js';
import { buildBundles, compilerIdentity, OpaCompiler, resolveToolchain } from '../../compile/index.js';
import { EXIT } from '../../core/index.js';
import { humanBytes, renderTable } from '../../report/index.js';

export interface BuildCommandOptions {
  readonly bundles?: string;
  readonly out?: string;
  readonly json?: boolean;
}

export async function build(options: BuildCommandOptions): Promise<number> {
  const config = await loadConfig(undefined);
  let compiler: OpaCompiler | undefined;
  const results = await buildBundles({
    definitionsDir: resolve(options.bundles ?? config.definitionsDir),
    outDir: resolve(options.out ?? config.bundlesDir),
    cacheDir: join(config.stateDir, 'cache'),
    compilerId: compilerIdentity(),
    compiler: () => (compiler ??= new OpaCompiler(resolveToolchain(config.tools, join(config.stateDir, 'toolchain.json')))),
    signer: async (signing, file, env) => (await import('../../sign/index.js')).prepareDefinitionSigning(signing, file, env),
  });
  if (options.json) {
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    return EXIT.OK;
  }
  const rows = results.map((r) => [r.name, r.revision, String(r.files), humanBytes(r.size), r.entrypoints.join(', '), r.written ? 'written' : 'unchanged']);
  process.stdout.write(`${renderTable(['BUNDLE', 'REVISION', 'FILES', 'SIZE', 'ENTRYPOINTS', 'OUTPUT'], rows)}\n`);
  return EXIT.OK;
}
