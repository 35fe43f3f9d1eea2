import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBundles, compilerIdentity, OpaCompiler, resolveToolchain, type BuildResult, type Toolchain } from '../../src/compile/index.js';

let cached: Toolchain | undefined;

/** The pinned opa; the suite needs it and fails loudly rather than skipping when it is absent. */
export function toolchain(): Toolchain {
  cached ??= resolveToolchain(process.env['OPA_BIN']);
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
  });
}
