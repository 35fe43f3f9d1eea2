import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes through a hidden temporary file in the same folder and renames it
 * into place, so a reader sees the old bytes or the new ones, never a mix.
 * Returns false, writing nothing, when the file already holds these bytes.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<boolean> {
  const current = await readFile(path).catch(() => undefined);
  if (current && Buffer.compare(current, bytes) === 0) return false;
  await mkdir(dirname(path), { recursive: true });
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temp, bytes, { mode: 0o644 });
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  return true;
}
