import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBundles, compilerIdentity, OpaCompiler } from '../../src/compile/index.js';
import { toolchain } from './opa.js';
import { REPO } from './processes.js';
import { tinyBundle } from './bundles.js';

export const GOLDEN_DIR = join(REPO, 'test/golden');

/** The bundles whose bytes are pinned: one from the in-memory writer, one built from bundles/ by the real opa. */
export async function goldenCandidates(): Promise<Record<string, Uint8Array>> {
  const work = await mkdtemp(join(tmpdir(), 'portcullis-golden-'));
  const [built] = await buildBundles({
    definitionsDir: join(REPO, 'bundles'),
    outDir: join(work, 'out'),
    cacheDir: join(work, 'cache'),
    compilerId: compilerIdentity(),
    compiler: () => new OpaCompiler(toolchain()),
  });
  return {
    'tiny.tar.gz': tinyBundle('golden'),
    'image-policy.tar.gz': new Uint8Array(await readFile(built!.path)),
  };
}
