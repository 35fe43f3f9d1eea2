import type { ImageRef } from './types.js';

// The grammar of github.com/distribution/reference, which Docker, containerd
// and Kubernetes all use to resolve an image name.
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?$|^\[[0-9a-fA-F:]+\](?::[0-9]+)?$/;

const DOCKER_HUB = 'docker.io';
const HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/**
 * Parses an image reference as a container runtime would: a first component
 * is a registry only if it has a dot, a port or is `localhost`; Docker Hub
 * names get `docker.io` and single names `library/`; a missing tag means
 * `latest` unless a digest pins the image. Returns null if it is no valid reference.
 */
export function parseImageRef(input: string): ImageRef | null {
  const ref = input.trim();
  if (ref === '' || ref.length > 4096) return null;
  const at = ref.indexOf('@');
  const digest = at === -1 ? null : ref.slice(at + 1);
  if (digest !== null && !DIGEST.test(digest)) return null;
  const named = at === -1 ? ref : ref.slice(0, at);
  const { path, tag } = splitTag(named);
  if (tag !== null && !TAG.test(tag)) return null;
  const located = splitRegistry(path);
  if (!located) return null;
  const { registry, repository } = located;
  return {
    ref,
    name: `${registry}/${repository}`,
    registry,
    repository,
    tag: tag ?? (digest === null ? 'latest' : null),
    tag_explicit: tag !== null,
    digest: digest === null ? null : digest.toLowerCase(),
  };
}

function splitTag(named: string): { path: string; tag: string | null } {
  const colon = named.lastIndexOf(':');
  if (colon === -1 || colon < named.lastIndexOf('/')) return { path: named, tag: null };
  return { path: named.slice(0, colon), tag: named.slice(colon + 1) };
}

function splitRegistry(path: string): { registry: string; repository: string } | null {
  const slash = path.indexOf('/');
  const first = slash === -1 ? '' : path.slice(0, slash);
  const isRegistry = first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase());
  let registry = isRegistry ? first : DOCKER_HUB;
  let repository = isRegistry ? path.slice(slash + 1) : path;
  if (isRegistry && !DOMAIN.test(registry)) return null;
  if (HUB_ALIASES.has(registry.toLowerCase())) registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  if (repository === '' || !repository.split('/').every((c) => COMPONENT.test(c))) return null;
  return { registry, repository };
}

/** Adds the digest a report names separately (RepoDigests) to a tag reference. */
export function withDigest(ref: ImageRef, digest: string | null): ImageRef {
  if (digest === null || ref.digest !== null) return ref;
  return { ...ref, digest: digest.toLowerCase() };
}

/** Trivy targets read "name:tag (alpine 3.12.0)"; only the part before the OS suffix is the image. */
export function stripOsSuffix(target: string): string {
  return target.replace(/\s+\([^()]*\)\s*$/, '');
}

const ARCHIVE = /\.(?:tar|tar\.gz|tgz|tar\.zst|oci)$/i;

/** Reference-shaped strings that are really local paths (`trivy image --input x.tar`) do not name an image. */
export function parseImageRefStrict(input: string | null | undefined): ImageRef | null {
  if (!input) return null;
  const text = stripOsSuffix(input);
  if (ARCHIVE.test(text) || text.startsWith('/') || text.startsWith('.') || text.includes(' ')) return null;
  return parseImageRef(text);
}
