import { AppError, canonicalJsonBytes, compareUtf8, type JsonValue } from '../core/index.js';
import { MANIFEST_PATH, manifestBytes } from './manifest.js';
import { regoPackagePath } from './rego.js';
import { assertDataUnderRoots, assertPathUnderRoots, assertRootsDisjoint, normalizeRoot } from './roots.js';
import { writeTarGz } from './tar-write.js';
import type { BundleFile, Manifest } from './types.js';

export const DATA_PATH = '/data.json';
export const WASM_PATH = '/policy.wasm';

export interface BundleParts {
  readonly manifest: Manifest;
  /** The whole data document, written as one canonical `/data.json`. */
  readonly data: Record<string, JsonValue>;
  /** Rego modules, paths with a leading `/`. */
  readonly modules: readonly BundleFile[];
  readonly wasm?: Uint8Array;
  /** Largest file accepted, so that agents with the same size_limit_bytes can load the bundle. */
  readonly maxFileBytes: number;
}

/** Checks the parts the way an OPA agent will at activation, then lays out the bundle's files. */
export function assembleBundle(parts: BundleParts): BundleFile[] {
  const roots = parts.manifest.roots.map(normalizeRoot);
  assertRootsDisjoint(roots, 'bundle');
  for (const module of parts.modules) checkModule(module, roots);
  assertDataUnderRoots(parts.data, roots);
  checkWasm(parts);
  const files: BundleFile[] = [
    { path: MANIFEST_PATH, bytes: manifestBytes({ ...parts.manifest, roots }) },
    { path: DATA_PATH, bytes: canonicalJsonBytes(parts.data) },
    ...parts.modules,
  ];
  if (parts.wasm) files.push({ path: WASM_PATH, bytes: parts.wasm });
  for (const file of files) checkSize(file, parts.maxFileBytes);
  return files.sort((a, b) => compareUtf8(a.path, b.path));
}

export function packBundle(parts: BundleParts): Uint8Array {
  return writeTarGz(assembleBundle(parts));
}

function checkModule(module: BundleFile, roots: readonly string[]): void {
  const pkg = regoPackagePath(Buffer.from(module.bytes).toString('utf8'));
  if (pkg === undefined) throw new AppError('BUNDLE_INVALID', `${module.path}: no package declaration`);
  assertPathUnderRoots(pkg, roots, `'package ${pkg.replaceAll('/', '.')}' in module '${module.path}'`);
}

function checkWasm(parts: BundleParts): void {
  const resolvers = parts.manifest.wasm ?? [];
  const seen = new Set<string>();
  for (const r of resolvers) {
    if (r.module !== WASM_PATH || !parts.wasm) {
      throw new AppError('BUNDLE_INVALID', `wasm entrypoint ${r.entrypoint} names module ${r.module}, which the bundle does not hold`);
    }
    if (seen.has(r.entrypoint)) throw new AppError('BUNDLE_INVALID', `wasm entrypoint ${r.entrypoint} is listed twice`);
    seen.add(r.entrypoint);
    assertPathUnderRoots(r.entrypoint, parts.manifest.roots, `wasm entrypoint '${r.entrypoint}'`);
  }
}

function checkSize(file: BundleFile, max: number): void {
  if (file.bytes.byteLength > max) {
    throw new AppError('BUNDLE_TOO_LARGE', `bundle file '${file.path}' size (${file.bytes.byteLength} bytes) exceeded max size (${max} bytes)`);
  }
}
