import { AppError } from '../core/index.js';

/** The JWS algorithms OPA accepts in `keys[_].algorithm` (bundle/keys.go, jwx's list). */
export const SIGNING_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'HS256', 'HS384', 'HS512'] as const;

export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

export type KeyFamily = 'rsa' | 'ec' | 'hmac';

/** The named curve each ECDSA algorithm requires, as node:crypto spells it. */
const EC_CURVES: Readonly<Record<string, string>> = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' };

export function isSigningAlgorithm(value: string): value is SigningAlgorithm {
  return (SIGNING_ALGORITHMS as readonly string[]).includes(value);
}

/** Parses an algorithm name exactly as spelled (OPA is case-sensitive here too). */
export function parseAlgorithm(value: string, what = 'algorithm'): SigningAlgorithm {
  if (!isSigningAlgorithm(value)) {
    throw new AppError('USAGE', `${what} '${value}' is not supported; use one of ${SIGNING_ALGORITHMS.join(', ')}`);
  }
  return value;
}

export function keyFamily(alg: SigningAlgorithm): KeyFamily {
  if (alg.startsWith('HS')) return 'hmac';
  if (alg.startsWith('ES')) return 'ec';
  return 'rsa';
}

export function isHmac(alg: SigningAlgorithm): boolean {
  return keyFamily(alg) === 'hmac';
}

export function curveFor(alg: SigningAlgorithm): string | undefined {
  return EC_CURVES[alg];
}
