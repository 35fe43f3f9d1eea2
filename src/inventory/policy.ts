import { DECISION_ENTRYPOINT, type BundleRevision, type PolicyCache } from '../check/index.js';
import type { WasmPolicy } from '../evaluate/index.js';
import { AppError } from '../core/index.js';

/** The served revision the engine evaluates with: the bundle's bytes, its ETag and manifest revision. */
export interface ServedRevision extends BundleRevision {
  readonly revision: string;
  /** When this server published it (wall clock): the newest publication wins among servers sharing a store. */
  readonly publishedAt: number;
}

/** The bundle's Wasm policy with the decision entrypoint, loaded once per revision. */
export async function decisionPolicyOf(cache: PolicyCache, revision: BundleRevision): Promise<WasmPolicy> {
  const { policy } = await cache.get(revision);
  if (!policy?.entrypoints.has(DECISION_ENTRYPOINT)) {
    throw new AppError('EVAL_ENTRYPOINT_UNKNOWN', `bundle '${revision.name}' has no Wasm entrypoint ${DECISION_ENTRYPOINT}`);
  }
  return policy;
}
