import { cp, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from './processes.js';

/**
 * A scratch copy of the repository's policies/ and bundles/, so a test may
 * edit them freely, with the examples/ and schemas/ the definitions read
 * (bundles/image-scan.yaml mounts examples/policy/settings.yaml and checks it
 * against schemas/policy-settings.schema.json).
 */
export async function scratchProject(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-test-'));
  await cp(join(REPO, 'policies'), join(dir, 'policies'), { recursive: true });
  await cp(join(REPO, 'bundles'), join(dir, 'bundles'), { recursive: true });
  await cp(join(REPO, 'examples'), join(dir, 'examples'), { recursive: true });
  await cp(join(REPO, 'schemas'), join(dir, 'schemas'), { recursive: true });
  return dir;
}
