import { loadBundle, type LoadedBundle, type ReadLimits } from '../bundle/index.js';
import { WasmPolicy, type EvaluationLimits } from '../evaluate/index.js';

/** A published bundle revision, identified by its name and the ETag of its exact bytes. */
export interface BundleRevision {
  readonly name: string;
  readonly etag: string;
  readonly bytes: Uint8Array;
}

export interface LoadedRevision {
  readonly bundle: LoadedBundle;
  /** Absent for a bundle of Rego sources without a Wasm module: only its data can be read. */
  readonly policy: WasmPolicy | undefined;
}

/**
 * One loaded Wasm policy per bundle, for its current revision: loading
 * (instantiating the module and writing its data) takes milliseconds, an
 * evaluation far less. A new ETag replaces the entry; concurrent first
 * requests share one load.
 */
export class PolicyCache {
  private readonly entries = new Map<string, { etag: string; loaded: Promise<LoadedRevision> }>();

  constructor(
    private readonly limits: ReadLimits,
    private readonly evaluation: EvaluationLimits,
  ) {}

  get(revision: BundleRevision): Promise<LoadedRevision> {
    const entry = this.entries.get(revision.name);
    if (entry?.etag === revision.etag) return entry.loaded;
    const loaded = load(revision.bytes, this.limits, this.evaluation);
    this.entries.set(revision.name, { etag: revision.etag, loaded });
    return loaded;
  }

  /** Drops a withdrawn bundle's policy, so its module and data do not stay in memory. */
  forget(name: string): void {
    this.entries.delete(name);
  }
}

async function load(bytes: Uint8Array, limits: ReadLimits, evaluation: EvaluationLimits): Promise<LoadedRevision> {
  const bundle = loadBundle(bytes, limits);
  return { bundle, policy: bundle.wasm.size === 0 ? undefined : await WasmPolicy.fromBundle(bundle, evaluation) };
}
