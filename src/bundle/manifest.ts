import { AppError, canonicalJsonBytes } from '../core/index.js';
import { assertRootsDisjoint, normalizeRoot } from './roots.js';
import type { Manifest, WasmResolver } from './types.js';

export const MANIFEST_PATH = '/.manifest';

/** The manifest as written into a bundle: OPA's canonical JSON, so signing and OPA agree on its digest. */
export function manifestBytes(manifest: Manifest): Uint8Array {
  return canonicalJsonBytes(manifest);
}

/** Parses and checks `.manifest` bytes; absent roots mean `[""]`, as in OPA. */
export function parseManifest(bytes: Uint8Array): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw new AppError('BUNDLE_INVALID', '.manifest is not valid JSON', { cause: err });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new AppError('BUNDLE_INVALID', '.manifest must be a JSON object');
  }
  const m = raw as Record<string, unknown>;
  const revision = optional(m, 'revision', 'string') ?? '';
  const roots = stringArray(m['roots'] ?? [''], 'roots').map(normalizeRoot);
  assertRootsDisjoint(roots, '.manifest');
  const regoVersion = optional(m, 'rego_version', 'number');
  if (regoVersion !== undefined && regoVersion !== 0 && regoVersion !== 1) {
    throw new AppError('BUNDLE_INVALID', `.manifest: unknown bundle rego-version ${regoVersion}`);
  }
  const manifest: Manifest = { ...m, revision, roots };
  if (m['wasm'] !== undefined) return { ...manifest, wasm: wasmResolvers(m['wasm']) };
  return manifest;
}

function optional<T extends 'string' | 'number'>(m: Record<string, unknown>, key: string, type: T): (T extends 'string' ? string : number) | undefined {
  const value = m[key];
  if (value === undefined) return undefined;
  if (typeof value !== type) throw new AppError('BUNDLE_INVALID', `.manifest: ${key} must be a ${type}`);
  return value as T extends 'string' ? string : number;
}

function stringArray(value: unknown, key: string): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new AppError('BUNDLE_INVALID', `.manifest: ${key} must be an array of strings`);
  }
  return value as string[];
}

function wasmResolvers(value: unknown): WasmResolver[] {
  if (!Array.isArray(value)) throw new AppError('BUNDLE_INVALID', '.manifest: wasm must be an array');
  return value.map((entry, i) => {
    const e = entry as Record<string, unknown> | null;
    if (typeof e?.['entrypoint'] !== 'string' || typeof e['module'] !== 'string') {
      throw new AppError('BUNDLE_INVALID', `.manifest: wasm[${i}] needs string entrypoint and module`);
    }
    return e as unknown as WasmResolver;
  });
}
