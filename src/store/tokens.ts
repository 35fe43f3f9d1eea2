import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Store, TokenRecord, TokenScope } from './types.js';

const PREFIX = 'pcl_';
const TOKEN_PATTERN = /^pcl_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;
/** Compared against when no record matches, so a miss costs the same as a mismatch. */
const DUMMY_DIGEST = Buffer.alloc(32);

export interface NewToken {
  readonly name: string;
  readonly agent?: string;
  readonly group?: string;
  readonly bundles: readonly string[];
  readonly scopes: readonly TokenScope[];
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/**
 * Creates a token: `pcl_<id>_<256 random bits>`. The id finds the record,
 * the SHA-256 of the whole token proves it; the token itself is returned
 * once and never stored.
 */
export function mintToken(spec: NewToken, now = new Date()): { token: string; record: TokenRecord } {
  const id = randomBytes(6).toString('hex');
  const token = `${PREFIX}${id}_${randomBytes(32).toString('base64url')}`;
  const record: TokenRecord = {
    id,
    name: spec.name,
    hash: digest(token).toString('hex'),
    ...(spec.agent === undefined ? {} : { agent: spec.agent }),
    ...(spec.group === undefined ? {} : { group: spec.group }),
    bundles: [...spec.bundles],
    scopes: [...spec.scopes],
    createdAt: now,
  };
  return { token, record };
}

/** The active record the token belongs to, or undefined; digests are compared in constant time. */
export async function verifyToken(store: Store, presented: string): Promise<TokenRecord | undefined> {
  const match = TOKEN_PATTERN.exec(presented);
  const record = match?.[1] === undefined ? undefined : await store.findToken(match[1]);
  const expected = record ? Buffer.from(record.hash, 'hex') : DUMMY_DIGEST;
  const equal = expected.length === 32 && timingSafeEqual(expected, digest(presented));
  return equal && record && record.revokedAt === undefined ? record : undefined;
}
