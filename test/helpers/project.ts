import { cp, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from './processes.js';

/** A scratch copy of the repository's policies/ and bundles/, so a test may edit them freely. */
export async function scratchProject(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-test-'));
  await cp(join(REPO, 'policies'), join(dir, 'policies'), { recursive: true });
  await cp(join(REPO, 'bundles'), join(dir, 'bundles'), { recursive: true });
  return dir;
}
