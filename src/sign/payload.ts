import { AppError } from '../core/index.js';

/** One entry of the JWT's `files` claim, as OPA's FileInfo. */
export interface SignedFile {
  readonly name: string;
  readonly hash: string;
  readonly algorithm: string;
}

/** The JWT payload as OPA decodes it (bundle.DecodedSignature); other claims are ignored. */
export interface SignaturePayload {
  readonly files: readonly SignedFile[];
  readonly keyid?: string;
  readonly scope?: string;
  /** Seconds since the epoch; OPA decodes it as int64, so it must be a number. */
  readonly iat?: number;
  readonly iss?: string;
}

/** `.signatures.json` as OPA decodes it; `plugin` names a custom verifier. */
export interface SignaturesDocument {
  readonly signatures: readonly string[] | null;
  readonly plugin: string;
}

function invalid(message: string): AppError {
  return new AppError('SIGNATURE_INVALID', message);
}

/** Decodes `.signatures.json` with the strictness of Go's json into OPA's SignaturesConfig. */
export function decodeSignaturesDocument(bytes: Uint8Array): SignaturesDocument {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw invalid(`bundle load failed on signatures decode: ${(err as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw invalid('bundle load failed on signatures decode: .signatures.json must hold a JSON object');
  }
  const doc = raw as Record<string, unknown>;
  const signatures = doc['signatures'] ?? null;
  if (signatures !== null && (!Array.isArray(signatures) || signatures.some((s) => typeof s !== 'string'))) {
    throw invalid('bundle load failed on signatures decode: signatures must be an array of strings');
  }
  const plugin = doc['plugin'] ?? '';
  if (typeof plugin !== 'string') throw invalid('bundle load failed on signatures decode: plugin must be a string');
  return { signatures: signatures as string[] | null, plugin };
}

/** Decodes the JWT payload claims OPA reads, refusing the types Go's decoder would refuse. */
export function decodePayload(json: string): SignaturePayload {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw invalid(`JWT payload is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalid('JWT payload must be a JSON object');
  const claims = raw as Record<string, unknown>;
  const files = claims['files'] ?? [];
  if (!Array.isArray(files)) throw invalid('JWT payload: files must be an array');
  const payload: { -readonly [K in keyof SignaturePayload]: SignaturePayload[K] } = { files: files.map(decodeFile) };
  for (const claim of ['keyid', 'scope', 'iss'] as const) {
    const value = claims[claim];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') throw invalid(`JWT payload: ${claim} must be a string`);
    payload[claim] = value;
  }
  const iat = claims['iat'];
  if (iat !== undefined && iat !== null) {
    if (typeof iat !== 'number' || !Number.isSafeInteger(iat)) throw invalid('JWT payload: iat must be an integer number');
    payload.iat = iat;
  }
  return payload;
}

function decodeFile(entry: unknown, i: number): SignedFile {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw invalid(`JWT payload: files[${i}] must be an object`);
  const e = entry as Record<string, unknown>;
  const field = (key: string): string => {
    const value = e[key] ?? '';
    if (typeof value !== 'string') throw invalid(`JWT payload: files[${i}].${key} must be a string`);
    return value;
  };
  return { name: field('name'), hash: field('hash'), algorithm: field('algorithm') };
}
