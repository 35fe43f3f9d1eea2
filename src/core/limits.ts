/**
 * Every size, depth and time limit portcullis applies, with its default, in
 * one place. Each is one the pipeline behind it was measured to honour (see
 * bench/limits.mjs): an input inside the limits is decided, one outside is
 * refused early with INPUT_TOO_LARGE (413, exit 2) naming the limit, never an
 * out-of-memory crash or a 500. `serve` takes overrides from its
 * configuration file (`limits:`, `ingest:`, `server.timeouts:`) through Config.
 */

const MiB = 1024 * 1024;

/** Deepest nesting of any JSON or YAML document: request bodies, reports, manifests, decision-log events. */
export const MAX_JSON_DEPTH = 128;

export const BUNDLE_LIMITS = {
  /** Largest compressed archive. */
  maxArchiveBytes: 256 * MiB,
  /** Largest single file inside (OPA's size_limit_bytes). */
  maxFileBytes: 256 * MiB,
  /** Largest sum of uncompressed bytes. */
  maxTotalBytes: 1024 * MiB,
  /**
   * Largest uncompressed/compressed ratio once the output passes 1 MiB. Real
   * bundles inflate 3 to 20 times (Wasm and JSON); gzip cannot exceed about
   * 1,030, so a higher value would be no bomb guard at all.
   */
  maxRatio: 100,
  maxEntries: 10_000,
} as const;

export const INPUT_LIMITS = {
  /** Largest report, manifest or metadata file (refused before it is read). */
  maxBytes: 64 * MiB,
  /** Largest Dockerfile: real ones are a few KiB, and the parser needs about 3 s per MiB. */
  maxDockerfileBytes: 256 * 1024,
  maxDepth: MAX_JSON_DEPTH,
} as const;

export const EVALUATION_LIMITS = {
  /**
   * Largest input handed to a Wasm policy, as JSON. The policy library needs
   * about 18 bytes of Wasm heap per input byte and its time grows faster
   * than linearly (8 MiB, about 15,000 findings, decide in about 2 s).
   */
  maxInputBytes: 8 * MiB,
  /** Wasm heap of one policy instance; an evaluation needing more is refused as too large. */
  maxMemoryBytes: 512 * MiB,
} as const;

export const REQUEST_LIMITS = {
  /** POST /v1/check, /v1/data and /v1/reports: scan reports that list every package reach tens of MiB. */
  maxBodyBytes: 64 * MiB,
  /** POST /v1/admission: the API server sends AdmissionReviews of at most a few MiB. */
  maxReviewBytes: 8 * MiB,
  /** POST /v1/gatekeeper/provider: 100 image references are a few KiB. */
  maxProviderBytes: 1 * MiB,
  /** POST /v1/inventory (after gzip): a snapshot of every workload of a large cluster (inventory.max_body_bytes). */
  maxSnapshotBytes: 256 * MiB,
  /**
   * gzip ratio guard of POST /v1/inventory beyond the first MiB. Kubernetes
   * lists repeat themselves, yet the inventory benchmark's 5,000 near-identical
   * pods inflate only 15 times, and gzip's ceiling is about 1,030: at 1,000
   * the guard let a bomb inflate to the full 256 MiB.
   */
  maxSnapshotRatio: 100,
  /** Bodies larger than this are parsed and evaluated off the event loop. */
  offloadBytes: 256 * 1024,
} as const;

export const INGEST_LIMITS = {
  /** Status and decision-log bodies, after decompression. */
  maxBodyBytes: 64 * MiB,
  /** gzip ratio guard beyond the first MiB. */
  maxRatio: 200,
} as const;

export const QUERY_LIMITS = {
  /** Stored JSON in one page of GET /v1/decisions: events with multi-MiB inputs make shorter pages, not GiB answers. */
  maxPageBytes: 4 * MiB,
} as const;

/** How long a client may take; a connection past one of these is closed, so stalled clients cannot pile up. */
export const SERVER_TIMEOUTS = {
  /** Request line and headers (and the TLS handshake). */
  headersMs: 20_000,
  /** The whole request, body included (a 64 MiB body at 1 MB/s takes about a minute). */
  requestMs: 120_000,
  /** Silence on a connection while a request is being read or answered; held long polls are exempt. */
  idleMs: 30_000,
  /** An idle keep-alive connection between requests. */
  keepAliveMs: 5_000,
} as const;
