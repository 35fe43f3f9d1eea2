// What a server says about a bundle it serves: GET /v1/bundles and the console's bundle page.

/** One revision a bundle was served at. */
export interface BundleRevision {
  readonly revision: string;
  readonly etag: string;
  readonly size: number;
  readonly publishedAt: string;
}

export interface BundleState {
  readonly name: string;
  readonly revision?: string;
  readonly etag?: string;
  readonly size?: number;
  readonly publishedAt?: string;
  readonly roots?: readonly string[];
  readonly entrypoints?: readonly string[];
  readonly signed?: boolean;
  readonly keyid?: string;
  /** The revisions published since the server started, newest first (at most 20). */
  readonly history?: readonly BundleRevision[];
  readonly lastError?: string;
  readonly lastErrorAt?: string;
}
