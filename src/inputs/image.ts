import { isRootUser } from './derive.js';
import type { ImageConfigDraft, ImageDraft } from './formats/report.js';
import { parseImageRef } from './image-ref.js';
import type { ImageFacts, ImageRef } from './types.js';

/** The first report that knows a fact wins; later reports only fill gaps. */
function first<T>(drafts: readonly ImageDraft[], pick: (d: ImageDraft) => T | null | undefined): T | null {
  for (const draft of drafts) {
    const value = pick(draft);
    if (value !== null && value !== undefined) return value;
  }
  return null;
}

function firstNonEmpty<T>(drafts: readonly ImageDraft[], pick: (d: ImageDraft) => readonly T[] | undefined): readonly T[] {
  return (
    first(drafts, (d) => {
      const values = pick(d);
      return values && values.length > 0 ? values : null;
    }) ?? []
  );
}

// OCI's standard annotation names for the base image, also used as labels.
const BASE_NAME_LABEL = 'org.opencontainers.image.base.name';
const BASE_DIGEST_LABEL = 'org.opencontainers.image.base.digest';

function baseFromLabels(labels: Readonly<Record<string, string>>): ImageRef | null {
  const name = labels[BASE_NAME_LABEL];
  const ref = name ? parseImageRef(name) : null;
  const digest = labels[BASE_DIGEST_LABEL];
  return ref && digest && ref.digest === null ? { ...ref, digest } : ref;
}

/** Merges the image facts of every report, falling back to the Dockerfile for the base image. */
export function buildImageFacts(drafts: readonly ImageDraft[], dockerfileBase: ImageRef | null): ImageFacts {
  const ref = first(drafts, (d) => d.ref);
  const digest = ref?.digest ?? first(drafts, (d) => d.ref?.digest ?? d.digest);
  const config: ImageConfigDraft | null = first(drafts, (d) => d.config);
  const labels = config?.labels ?? {};
  const user = config ? config.user : null;
  return {
    ref: ref?.ref ?? null,
    name: ref?.name ?? null,
    registry: ref?.registry ?? null,
    repository: ref?.repository ?? null,
    tag: ref?.tag ?? null,
    digest,
    id: first(drafts, (d) => d.id),
    repo_tags: firstNonEmpty(drafts, (d) => d.repoTags),
    repo_digests: firstNonEmpty(drafts, (d) => d.repoDigests),
    os: {
      family: first(drafts, (d) => d.osFamily),
      name: first(drafts, (d) => d.osName),
      eosl: first(drafts, (d) => d.eosl),
    },
    architecture: first(drafts, (d) => d.architecture),
    user,
    runs_as_root: user === null ? null : isRootUser(user),
    exposed_ports: config?.exposedPorts ?? [],
    env: config?.env ?? [],
    created: config?.created ?? null,
    labels,
    base_image: baseFromLabels(labels) ?? dockerfileBase,
    // A size no image has (negative, fractional, beyond 2^53) is no fact: policies format it as an integer.
    size_bytes: first(drafts, (d) => (Number.isSafeInteger(d.sizeBytes) && (d.sizeBytes as number) >= 0 ? d.sizeBytes : null)),
  };
}
