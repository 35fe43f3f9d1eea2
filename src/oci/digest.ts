import { createHash } from 'node:crypto';

/**
 * The OCI digest of `bytes`: sha256 unless `like` names another algorithm
 * the spec allows (sha512), so a claimed digest is checked with its own algorithm.
 */
export function digestOf(bytes: Uint8Array, like?: string): string {
  const algorithm = like?.startsWith('sha512:') ? 'sha512' : 'sha256';
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}
