import { canonicalJson, canonicalJsonBytes, type JsonValue } from '../core/index.js';
import { isDataFile, isPlainObject } from './data.js';
import type { LoadedBundle } from './load.js';
import { MANIFEST_PATH, manifestBytes } from './manifest.js';
import { writeTarGz } from './tar-write.js';

export const PATCH_PATH = '/patch.json';

export interface PatchOperation {
  readonly op: 'upsert' | 'remove';
  readonly path: string;
  readonly value?: JsonValue;
}

/**
 * A delta bundle taking an agent from `base` to `next`, when only data
 * changed: a manifest repeating the roots and Wasm resolvers (OPA requires
 * them to equal the stored ones) and a `patch.json` with at least one
 * operation (an empty list would make OPA wipe the bundle's roots). Returns
 * undefined when policies, Wasm, roots or resolvers differ, or nothing changed.
 */
export function deltaBundle(base: LoadedBundle, next: LoadedBundle): Uint8Array | undefined {
  if (!sameNonData(base, next)) return undefined;
  const ops = diffData(base.data, next.data, '');
  if (ops.length === 0) return undefined;
  return writeTarGz([
    { path: MANIFEST_PATH, bytes: manifestBytes(next.manifest) },
    { path: PATCH_PATH, bytes: canonicalJsonBytes({ data: ops }) },
  ]);
}

function sameNonData(base: LoadedBundle, next: LoadedBundle): boolean {
  const { revision: _a, ...baseManifest } = base.manifest;
  const { revision: _b, ...nextManifest } = next.manifest;
  if (canonicalJson(baseManifest) !== canonicalJson(nextManifest)) return false;
  const fixed = (b: LoadedBundle) => b.files.filter((f) => f.path !== MANIFEST_PATH && !isDataFile(f.path));
  const a = fixed(base);
  const b = fixed(next);
  return a.length === b.length && a.every((f, i) => f.path === b[i]?.path && Buffer.compare(f.bytes, b[i].bytes) === 0);
}

/** Upserts for new or changed values, removes for vanished keys; objects are compared key by key. */
export function diffData(before: JsonValue, after: JsonValue, path: string): PatchOperation[] {
  if (isPlainObject(before) && isPlainObject(after)) {
    const ops: PatchOperation[] = [];
    for (const key of Object.keys(before).sort()) {
      if (!(key in after)) ops.push({ op: 'remove', path: `${path}/${escapeSegment(key)}` });
    }
    for (const key of Object.keys(after).sort()) {
      const child = `${path}/${escapeSegment(key)}`;
      const value = after[key] as JsonValue;
      if (!(key in before)) ops.push({ op: 'upsert', path: child, value });
      else ops.push(...diffData(before[key] as JsonValue, value, child));
    }
    return ops;
  }
  return canonicalJson(before) === canonicalJson(after) ? [] : [{ op: 'upsert', path: path || '/', value: after }];
}

/** JSON Pointer escaping, then percent-escaping, matching OPA's ParsePatchPathEscaped. */
function escapeSegment(key: string): string {
  return key.replaceAll('%', '%25').replaceAll('~', '~0').replaceAll('/', '~1');
}
