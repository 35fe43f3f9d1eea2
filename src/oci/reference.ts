import { isIP } from 'node:net';
import { AppError } from '../core/index.js';

/** `host[:port]/repository[:tag][@digest]`, as oras and OPA parse it; the digest wins over the tag. */
export interface Reference {
  /** `host` or `host:port` (IPv6 in brackets), exactly as the registry is addressed. */
  readonly registry: string;
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

// The grammar of the OCI distribution spec ("Pulling manifests") and of oras' registry.ParseReference.
const COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const REPOSITORY = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
export const DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*)(?::[0-9]{1,5})?$/;

/** Parses a reference; `what` names the argument or field in errors. */
export function parseReference(text: string, what = 'reference'): Reference {
  const fail = (why: string): never => {
    throw new AppError('REFERENCE_INVALID', `${what} '${text}' is not a registry reference (host[:port]/repository[:tag][@digest]): ${why}`);
  };
  const slash = text.indexOf('/');
  if (slash <= 0) fail('it names no registry host');
  const registry = text.slice(0, slash);
  if (!HOST.test(registry)) fail(`'${registry}' is not a host or host:port`);
  // Docker's rule, which users know: a first part without a dot or a port, other than localhost, is a repository path, not a host.
  if (!/[.:[]/.test(registry) && registry !== 'localhost')
    fail(`it names no registry host ('${registry}' has no dot or port; write e.g. ${registry}.example.com or ${registry}:5000)`);
  let rest = text.slice(slash + 1);
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) fail(`'${digest}' is not a sha256 or sha512 digest`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon >= 0) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) fail(`'${tag}' is not a valid tag`);
  }
  if (!REPOSITORY.test(rest) || rest.length > 255) fail(`'${rest}' is not a valid repository name (lowercase letters, digits, separators . _ __ -, and /)`);
  return { registry, repository: rest, ...(tag === undefined ? {} : { tag }), ...(digest === undefined ? {} : { digest }) };
}

/** The reference as text; `host/repo:tag@digest` round-trips through parseReference. */
export function formatReference(ref: Reference): string {
  return `${ref.registry}/${ref.repository}${ref.tag === undefined ? '' : `:${ref.tag}`}${ref.digest === undefined ? '' : `@${ref.digest}`}`;
}

/** True for a tag the registry will accept, e.g. a bundle name used as a tag. */
export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}

/** The hostname of `registry` without port or brackets. */
export function hostnameOf(registry: string): string {
  if (registry.startsWith('[')) return registry.slice(1, registry.indexOf(']'));
  const colon = registry.lastIndexOf(':');
  return colon >= 0 ? registry.slice(0, colon) : registry;
}

/** Loopback registries (localhost, 127.0.0.0/8, ::1) may be reached over plain HTTP without --insecure. */
export function isLoopback(registry: string): boolean {
  const host = hostnameOf(registry).toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '0:0:0:0:0:0:0:1';
}
