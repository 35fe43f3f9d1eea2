import { AppError, isAppError } from '../core/index.js';
import type { BundleArtifact } from './artifact.js';
import type { RegistryClient } from './client.js';

/** A repository of the client's registry and the tags to point at the artifact there. */
export interface PushTarget {
  readonly repository: string;
  readonly tags: readonly string[];
}

export interface PushResult {
  readonly repository: string;
  readonly tags: readonly string[];
  readonly digest: string;
  /** Blob digests uploaded, and those the registry already held (not sent again). */
  readonly uploaded: readonly string[];
  readonly present: readonly string[];
}

/** A blob to put in place before the manifest: its digest, computed once by the caller, and its bytes. */
export interface Blob {
  readonly digest: string;
  readonly bytes: Uint8Array;
}

/**
 * Pushes an artifact: first every blob to every repository (a blob the
 * registry already holds, by HEAD, is not sent again), and only when all are
 * in place the manifest under each tag. The manifest may still be in the
 * making while the blobs travel (it waits for the bundle check); a failure
 * before the first manifest PUT moves no tag.
 */
export async function pushArtifact(
  client: RegistryClient,
  blobs: readonly Blob[],
  manifest: () => Promise<BundleArtifact['manifest']>,
  targets: readonly PushTarget[],
): Promise<PushResult[]> {
  const transfers: { uploaded: string[]; present: string[] }[] = [];
  for (const target of targets) {
    const present = await Promise.all(blobs.map((b) => client.hasBlob(target.repository, b.digest, 'pull,push')));
    const missing = blobs.filter((_, i) => !present[i]);
    await Promise.all(missing.map((blob) => client.uploadBlob(target.repository, blob.digest, blob.bytes)));
    transfers.push({ uploaded: missing.map((b) => b.digest), present: blobs.filter((_, i) => present[i]).map((b) => b.digest) });
  }
  const { mediaType, bytes, digest } = await manifest();
  const moved: string[] = [];
  const results: PushResult[] = [];
  try {
    for (const [i, target] of targets.entries()) {
      for (const tag of target.tags) {
        await client.putManifest(target.repository, tag, mediaType, bytes);
        moved.push(`${target.repository}:${tag}`);
      }
      results.push({ repository: target.repository, tags: target.tags, digest, ...(transfers[i] ?? { uploaded: [], present: [] }) });
    }
  } catch (err) {
    // Registries move one tag per request: say which ones already point at the new manifest.
    if (moved.length === 0 || !isAppError(err)) throw err;
    throw new AppError(err.code, `${err.message} (already moved: ${moved.join(', ')})`, { cause: err });
  }
  return results;
}
