import { createHash, createHmac, createPrivateKey, createPublicKey, createSecretKey, X509Certificate, type KeyObject } from 'node:crypto';
import { AppError } from '../core/index.js';
import { curveFor, keyFamily, type SigningAlgorithm } from './algorithms.js';

/** PEM labels node:crypto reads as private keys: PKCS#8, PKCS#1 and SEC1, the three OPA's signer takes. */
const PRIVATE_LABELS = new Set(['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY']);
const PUBLIC_LABELS = new Set(['PUBLIC KEY', 'RSA PUBLIC KEY']);
const PEM_LABEL = /-----BEGIN ([A-Z0-9 ]+)-----/;

/**
 * Key errors name only `source` (a file name or a description), never the
 * key bytes, and do not pass node's messages on, so nothing secret can leak.
 */
function keyError(source: string, problem: string): AppError {
  return new AppError('KEY_INVALID', `${source}: ${problem}`);
}

function pemLabel(bytes: Uint8Array): string | undefined {
  return PEM_LABEL.exec(Buffer.from(bytes).toString('latin1'))?.[1];
}

/**
 * The key to sign with: a PEM private key for RSA and ECDSA, or for HMAC the
 * secret's raw bytes (OPA does not base64-decode HMAC secrets either).
 */
export function loadSigningKey(material: Uint8Array, alg: SigningAlgorithm, source: string): KeyObject {
  if (keyFamily(alg) === 'hmac') return secretKey(material, source);
  const label = pemLabel(material);
  if (label === undefined || !PRIVATE_LABELS.has(label)) {
    throw keyError(source, `${alg} needs a PEM private key (PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)${label ? `, not ${label}` : ''}`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: Buffer.from(material), format: 'pem' });
  } catch {
    throw keyError(source, 'the PEM private key cannot be parsed (encrypted keys are not supported)');
  }
  checkKeyType(key, alg, source);
  return key;
}

/**
 * The key to verify with, read the way OPA's parseVerificationKey does:
 * PUBLIC KEY, RSA PUBLIC KEY, CERTIFICATE or a private key PEM (its public
 * half is used), or an HMAC secret as raw bytes.
 */
export function loadVerificationKey(material: Uint8Array, alg: SigningAlgorithm, source: string): KeyObject {
  if (keyFamily(alg) === 'hmac') return secretKey(material, source);
  const label = pemLabel(material);
  let key: KeyObject;
  try {
    if (label === 'CERTIFICATE') key = new X509Certificate(Buffer.from(material)).publicKey;
    else if (label !== undefined && PUBLIC_LABELS.has(label)) key = createPublicKey({ key: Buffer.from(material), format: 'pem' });
    else if (label !== undefined && PRIVATE_LABELS.has(label)) key = createPublicKey(createPrivateKey({ key: Buffer.from(material), format: 'pem' }));
    else throw new Error('no PEM block');
  } catch {
    throw keyError(source, 'failed to parse PEM block containing the key');
  }
  checkKeyType(key, alg, source);
  return key;
}

function secretKey(material: Uint8Array, source: string): KeyObject {
  if (material.byteLength === 0) throw keyError(source, 'the HMAC secret is empty');
  // An HMAC "secret" that is a PEM key is the classic algorithm-confusion setup:
  // a public key is no secret, so anyone could sign with it.
  if (pemLabel(material) !== undefined) throw keyError(source, 'an HMAC secret must not be a PEM key');
  return createSecretKey(Buffer.from(material));
}

/** Refuses a key that cannot produce `alg` signatures: RSA for RS/PS, the matching curve for ES. */
function checkKeyType(key: KeyObject, alg: SigningAlgorithm, source: string): void {
  const type = key.asymmetricKeyType;
  if (keyFamily(alg) === 'rsa') {
    if (type !== 'rsa' && type !== 'rsa-pss') throw keyError(source, `${alg} needs an RSA key, not ${type ?? 'a secret'}`);
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < 2048) throw keyError(source, `${alg} needs an RSA key of at least 2048 bits, not ${bits}`);
    return;
  }
  const curve = curveFor(alg);
  const actual = key.asymmetricKeyDetails?.namedCurve;
  if (type !== 'ec' || actual !== curve) {
    throw keyError(source, `${alg} needs an EC key on curve ${curve ?? '?'}, not ${type === 'ec' ? `curve ${actual ?? '?'}` : (type ?? 'a secret')}`);
  }
}

/**
 * A non-secret fingerprint of a key, for cache keys and logs: the SHA-256 of
 * the public key (SPKI DER), or for HMAC a MAC of a fixed label under the
 * secret, which reveals nothing about the secret.
 */
export function keyFingerprint(key: KeyObject): string {
  if (key.type === 'secret') return createHmacHex(key);
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return sha256(pub.export({ type: 'spki', format: 'der' }));
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function createHmacHex(key: KeyObject): string {
  return createHmac('sha256', key).update('portcullis key fingerprint').digest('hex');
}
