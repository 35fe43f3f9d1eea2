/** The YAML configuration file of `portcullis serve`, documented in README.md. */
export interface ConfigFile {
  readonly server?: { readonly listen?: string };
  readonly bundles?: { readonly dir?: string; readonly rescan_interval_ms?: number };
  readonly state?: { readonly dir?: string };
  readonly log?: { readonly level?: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent' };
  readonly limits?: {
    readonly max_bundle_bytes?: number;
    readonly max_file_bytes?: number;
    readonly max_uncompressed_bytes?: number;
    readonly max_compression_ratio?: number;
    readonly max_entries?: number;
  };
}

const positiveInt = { type: 'integer', minimum: 1 } as const;

export const configFileSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    server: {
      type: 'object',
      additionalProperties: false,
      properties: { listen: { type: 'string', pattern: '^(\\[[0-9a-fA-F:]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5}$' } },
    },
    bundles: {
      type: 'object',
      additionalProperties: false,
      properties: { dir: { type: 'string', minLength: 1 }, rescan_interval_ms: { type: 'integer', minimum: 100 } },
    },
    state: { type: 'object', additionalProperties: false, properties: { dir: { type: 'string', minLength: 1 } } },
    log: {
      type: 'object',
      additionalProperties: false,
      properties: { level: { enum: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] } },
    },
    limits: {
      type: 'object',
      additionalProperties: false,
      properties: {
        max_bundle_bytes: positiveInt,
        max_file_bytes: positiveInt,
        max_uncompressed_bytes: positiveInt,
        max_compression_ratio: positiveInt,
        max_entries: positiveInt,
      },
    },
  },
} as const;
