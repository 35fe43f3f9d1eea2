/** Every default portcullis uses, in one place. Paths are relative to the working directory. */
export const DEFAULTS = {
  listenHost: '127.0.0.1',
  listenPort: 8480,
  definitionsDir: 'bundles',
  bundlesDir: 'dist/bundles',
  stateDir: '.portcullis',
  logLevel: 'info',
  /** How often the bundle folder is rescanned in case a file-system event was missed. */
  rescanIntervalMs: 2000,
  /** Longest a long-poll request is held, whatever `wait=` the agent asks for. */
  maxLongPollSeconds: 300,
  maxBundleBytes: 256 * 1024 * 1024,
  maxFileBytes: 256 * 1024 * 1024,
  maxUncompressedBytes: 1024 * 1024 * 1024,
  maxCompressionRatio: 1000,
  maxEntries: 10_000,
} as const;
