import type { BundleState } from '../bundle/index.js';
import type { PageLimits } from '../fleet/index.js';
import type { Store } from '../store/index.js';

/** What the console reads from: the same store, query functions and bundle list as the JSON API. */
export interface ConsoleDependencies {
  readonly store: Store;
  /** The inventory's clock: finding ages are counted to it, as the API counts them. */
  readonly clock: () => Date;
  /** The bundles in service, as GET /v1/bundles lists them. */
  readonly bundles: () => readonly BundleState[];
  /** Paging limits of GET /v1/decisions. */
  readonly decisionLimits: PageLimits;
  /** Present when auth.required: every console page then needs a login. */
  readonly login?: { readonly expiryMs: number; readonly secure: boolean };
  /** The HTTP status and message the API gives an error (server errors are logged, not shown). */
  readonly failure: (
    err: unknown,
    request: { readonly method: string; readonly path: string },
  ) => { readonly status: number; readonly code: string; readonly message: string };
}

/** Agents whose last status is older than this are stale. */
export const STALE_AFTER_MS = 10 * 60_000;
