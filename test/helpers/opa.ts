import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBundle, type LoadedBundle } from '../../src/bundle/index.js';
import { buildBundles, compilerIdentity, OpaCompiler, resolveToolchain, toolEnvironment, type BuildResult, type Toolchain } from '../../src/compile/index.js';
import { scratchProject } from './project.js';

let cached: Toolchain | undefined;

/** The pinned opa; the suite needs it and fails loudly rather than skipping when it is absent. */
export function toolchain(): Toolchain {
  cached ??= resolveToolchain(toolEnvironment(process.env));
  return cached;
}

/** Builds every definition in `definitionsDir` with the real opa, into a scratch folder with a fresh cache. */
export async function buildWithOpa(definitionsDir: string): Promise<BuildResult[]> {
  const out = await mkdtemp(join(tmpdir(), 'portcullis-built-'));
  return buildBundles({
    definitionsDir,
    outDir: join(out, 'bundles'),
    cacheDir: join(out, 'cache'),
    compilerId: compilerIdentity(),
    compiler: () => new OpaCompiler(toolchain()),
    signer: async (signing, file, env) => (await import('../../src/sign/index.js')).prepareDefinitionSigning(signing, file, env),
  });
}

/** One of the repository's bundles as shipped (bundles/<name>.yaml), built by the real opa in a scratch copy of the project. */
export async function buildRepositoryBundle(name: string): Promise<{ bundle: LoadedBundle; project: string }> {
  const project = await scratchProject();
  const built = (await buildWithOpa(join(project, 'bundles'))).find((r) => r.name === name);
  if (!built) throw new Error(`bundles/${name}.yaml was not built`);
  return { bundle: loadBundle(await readFile(built.path)), project };
}
