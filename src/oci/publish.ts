import type { ReadLimits } from '../bundle/index.js';
import { AppError } from '../core/index.js';
import { bundleArtifact, EMPTY_CONFIG } from './artifact.js';
import { assertGzip, validateBundle } from './validate.js';
import { RegistryClient, type ClientOptions } from './client.js';
import { digestOf } from './digest.js';
import { pushArtifact, type PushResult } from './push.js';
import { formatReference, type Reference } from './reference.js';

/** How to reach registries: the same credentials, CA and transport rules for every registry a command touches. */
export type RegistryAccess = ClientOptions;

export interface PublishOptions {
  /** Manifest annotations beside the revision: the bundle name as title, a source URL, the creation time. */
  readonly title: string;
  readonly fileName: string;
  readonly source?: string;
  readonly created: Date;
  readonly limits: ReadLimits;
}

export interface PublishedArtifact {
  readonly digest: string;
  readonly revision: string;
  readonly layer: string;
  readonly results: readonly (PushResult & { readonly registry: string })[];
}

/**
 * Publishes a bundle under every reference given, unchanged, as the one
 * layer of an OCI image manifest annotated with its revision. The bundle is
 * read as an agent would load it while its blobs upload, and a tag moves only
 * when that check has passed and every blob is in place: a bundle OPA would
 * refuse is never published (its layer may be left as an unreferenced blob,
 * which registry garbage collection removes). References are grouped by
 * registry and repository, so each blob travels once per repository.
 */
export async function publishBundle(
  bytes: Uint8Array,
  refs: readonly Reference[],
  access: RegistryAccess,
  options: PublishOptions,
): Promise<PublishedArtifact> {
  if (refs.length === 0) throw new AppError('USAGE', 'give at least one reference to push to');
  for (const ref of refs) {
    if (ref.digest !== undefined) throw new AppError('REFERENCE_INVALID', `cannot push to a digest reference (${formatReference(ref)}): name a tag`);
  }
  assertGzip(bytes);
  // The bundle is checked (in a worker) while its blobs travel; no tag moves unless the check passes.
  const validated = validateBundle(bytes, options.limits);
  const layer = { digest: digestOf(bytes), size: bytes.byteLength };
  const manifest = validated.then(
    (revision) =>
      bundleArtifact(layer, {
        revision,
        created: options.created.toISOString(),
        title: options.title,
        fileName: options.fileName,
        ...(options.source === undefined ? {} : { source: options.source }),
      }).manifest,
  );
  // Awaited before the first tag moves; until then a failure must not go unobserved.
  manifest.catch(() => undefined);
  const blobs = [
    { digest: EMPTY_CONFIG.descriptor.digest, bytes: EMPTY_CONFIG.bytes },
    { digest: layer.digest, bytes },
  ];
  const results: PublishedArtifact['results'][number][] = [];
  for (const [registry, repositories] of groupByRegistry(refs)) {
    const client = new RegistryClient(registry, access);
    try {
      const targets = [...repositories].map(([repository, tags]) => ({ repository, tags: [...tags] }));
      for (const result of await pushArtifact(client, blobs, () => manifest, targets)) results.push({ ...result, registry });
    } finally {
      client.close();
    }
  }
  return { digest: (await manifest).digest, revision: await validated, layer: layer.digest, results };
}

function groupByRegistry(refs: readonly Reference[]): Map<string, Map<string, Set<string>>> {
  const registries = new Map<string, Map<string, Set<string>>>();
  for (const ref of refs) {
    const repositories = registries.get(ref.registry) ?? new Map<string, Set<string>>();
    registries.set(ref.registry, repositories);
    const tags = repositories.get(ref.repository) ?? new Set<string>();
    repositories.set(ref.repository, tags);
    tags.add(ref.tag ?? 'latest');
  }
  return registries;
}
