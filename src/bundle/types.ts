import { BUNDLE_LIMITS } from '../core/index.js';

/** One regular file of a bundle. `path` always starts with `/`, as `opa build` writes it. */
export interface BundleFile {
  readonly path: string;
  readonly bytes: Uint8Array;
}

export interface WasmResolver {
  readonly entrypoint: string;
  readonly module: string;
  readonly annotations?: readonly unknown[];
}

/** The `.manifest` fields portcullis writes and checks (OPA ignores unknown fields). */
export interface Manifest {
  readonly revision: string;
  readonly roots: readonly string[];
  readonly rego_version?: number;
  readonly wasm?: readonly WasmResolver[];
  readonly metadata?: Readonly<Record<string, unknown>>;
}

/** Limits applied when reading an archive; every one guards against a hostile or broken bundle. */
export interface ReadLimits {
  /** Largest compressed archive accepted. */
  readonly maxArchiveBytes: number;
  /** Largest single file, checked against the tar header before reading (OPA's size_limit_bytes). */
  readonly maxFileBytes: number;
  /** Largest sum of uncompressed bytes. */
  readonly maxTotalBytes: number;
  /** Largest uncompressed/compressed ratio once the output passes 1 MiB: a gzip bomb guard. */
  readonly maxRatio: number;
  /** Most entries in one archive. */
  readonly maxEntries: number;
}

export const DEFAULT_READ_LIMITS: ReadLimits = BUNDLE_LIMITS;
