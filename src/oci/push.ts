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

/**
 * Pushes a bundle artifact: first every blob to every repository (a blob the
 * registry already holds, by HEAD, is not sent again), and only when all are
 * in place the manifest under each tag. A failure before that moves no tag.
 */
export async function pushArtifact(
  client: RegistryClient,
  artifact: BundleArtifact,
  bundle: Uint8Array,
  targets: readonly PushTarget[],
): Promise<PushResult[]> {
  const blobs = [
    { digest: artifact.config.descriptor.digest, bytes: artifact.config.bytes },
    { digest: artifact.layer.digest, bytes: bundle },
  ];
  const transfers: { uploaded: string[]; present: string[] }[] = [];
  for (const target of targets) {
    const present = await Promise.all(blobs.map((b) => client.hasBlob(target.repository, b.digest, 'pull,push')));
    const missing = blobs.filter((_, i) => !present[i]);
    for (const blob of missing) await client.uploadBlob(target.repository, blob.digest, blob.bytes);
    transfers.push({ uploaded: missing.map((b) => b.digest), present: blobs.filter((_, i) => present[i]).map((b) => b.digest) });
  }
  const moved: string[] = [];
  const results: PushResult[] = [];
  try {
    for (const [i, target] of targets.entries()) {
      for (const tag of target.tags) {
        await client.putManifest(target.repository, tag, artifact.manifest.mediaType, artifact.manifest.bytes);
        moved.push(`${target.repository}:${tag}`);
      }
      results.push({ repository: target.repository, tags: target.tags, digest: artifact.manifest.digest, ...(transfers[i] ?? { uploaded: [], present: [] }) });
    }
  } catch (err) {
    // Registries move one tag per request: say which ones already point at the new manifest.
    if (moved.length === 0 || !isAppError(err)) throw err;
    throw new AppError(err.code, `${err.message} (already moved: ${moved.join(', ')})`, { cause: err });
  }
  return results;
}
