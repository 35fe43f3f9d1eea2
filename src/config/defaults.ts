import { BUNDLE_LIMITS, INGEST_LIMITS } from '../core/index.js';

/** Every default portcullis uses, in one place (limits come from core/limits.ts). Paths are relative to the working directory. */
export const DEFAULTS = {
  listenHost: '127.0.0.1',
  listenPort: 8480,
  definitionsDir: 'bundles',
  bundlesDir: 'dist/bundles',
  stateDir: '.portcullis',
  logLevel: 'info',
  /** How often the bundle folder is rescanned in case a file-system event was missed. */
  rescanIntervalMs: 2000,
  /** How often an OCI bundle source is polled (one HEAD per tag; a layer is fetched only when its digest changes). */
  ociPollIntervalSeconds: 30,
  /** Longest a long-poll request is held, whatever `wait=` the agent asks for. */
  maxLongPollSeconds: 300,
  maxBundleBytes: BUNDLE_LIMITS.maxArchiveBytes,
  maxFileBytes: BUNDLE_LIMITS.maxFileBytes,
  maxUncompressedBytes: BUNDLE_LIMITS.maxTotalBytes,
  maxCompressionRatio: BUNDLE_LIMITS.maxRatio,
  maxEntries: BUNDLE_LIMITS.maxEntries,
  /** Fleet store: the SQLite file under the state directory, and how long decisions are kept. */
  sqliteFile: 'portcullis.db',
  retentionMaxAgeHours: 30 * 24,
  retentionMaxDecisions: 5_000_000,
  retentionIntervalSeconds: 300,
  /** Gone containers, resolved findings and finished webhook events: 90 days. */
  retentionHistoryHours: 90 * 24,
  /** Status and decision-log bodies: decompressed size limit and gzip ratio guard (after the first MiB). */
  ingestMaxBodyBytes: INGEST_LIMITS.maxBodyBytes,
  ingestMaxCompressionRatio: INGEST_LIMITS.maxRatio,
  /** Where `portcullis agents|decisions` look for a server when --server is not given. */
  serverUrl: 'http://127.0.0.1:8480',
  /** Decisions per page of GET /v1/decisions, and the most a client may ask for. */
  decisionsPageSize: 100,
  decisionsMaxPageSize: 1000,
  /** How long a web-console login lasts. */
  uiLoginExpiryMinutes: 480,
} as const;
