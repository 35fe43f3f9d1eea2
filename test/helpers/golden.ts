import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildWithOpa } from './opa.js';
import { REPO } from './processes.js';
import { tinyBundle } from './bundles.js';

export const GOLDEN_DIR = join(REPO, 'test/golden');

/** The bundles whose bytes are pinned: one from the in-memory writer, one built from bundles/ by the real opa. */
export async function goldenCandidates(): Promise<Record<string, Uint8Array>> {
  const built = (await buildWithOpa(join(REPO, 'bundles'))).find((r) => r.name === 'image-policy');
  return {
    'tiny.tar.gz': tinyBundle('golden'),
    'image-policy.tar.gz': new Uint8Array(await readFile(built!.path)),
  };
}
