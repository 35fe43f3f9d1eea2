import { hash } from 'node:crypto';

/** One-shot hashing: about three times faster than a Hash object for the short strings finding identities are made of. */
export function sha256Hex(data: Uint8Array | string): string {
  return hash('sha256', data, 'hex');
}

export function sha1Hex(data: Uint8Array | string): string {
  return hash('sha1', data, 'hex');
}
