import { AppError, type JsonValue } from '../core/index.js';
import { mergeDataFiles } from './data.js';
import { MANIFEST_PATH, parseManifest } from './manifest.js';
import { assertDataUnderRoots } from './roots.js';
import { readTarGz } from './tar-read.js';
import { DEFAULT_READ_LIMITS, type BundleFile, type Manifest, type ReadLimits } from './types.js';

export interface LoadedBundle {
  readonly files: readonly BundleFile[];
  readonly manifest: Manifest;
  readonly data: Record<string, JsonValue>;
  /** Wasm module bytes by bundle path, for the modules the manifest names. */
  readonly wasm: ReadonlyMap<string, Uint8Array>;
}

/** Reads and checks a bundle archive the way an OPA agent would before activating it. */
export function loadBundle(bytes: Uint8Array, limits: ReadLimits = DEFAULT_READ_LIMITS): LoadedBundle {
  const files = readTarGz(bytes, limits);
  const byPath = new Map(files.map((f) => [f.path, f]));
  const manifestFile = byPath.get(MANIFEST_PATH);
  const manifest: Manifest = manifestFile ? parseManifest(manifestFile.bytes) : { revision: '', roots: [''] };
  const data = mergeDataFiles(files);
  assertDataUnderRoots(data, manifest.roots);
  const wasm = new Map<string, Uint8Array>();
  for (const resolver of manifest.wasm ?? []) {
    const module = byPath.get(resolver.module);
    if (!module) throw new AppError('BUNDLE_INVALID', `.manifest names wasm module ${resolver.module}, which the bundle does not hold`);
    wasm.set(resolver.module, module.bytes);
  }
  return { files, manifest, data, wasm };
}
