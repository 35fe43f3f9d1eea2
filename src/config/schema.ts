import { fleetSchema, type FleetFile } from './fleet.js';
import { inventorySchema, type InventoryFile } from './inventory.js';
import { uiSchema, type UiFile } from './ui.js';
import { ociSourceSchema, sourceSchema, type OciSourceFile } from './oci-source.js';
import { admissionSchema, gatekeeperSchema, type KubernetesFile } from './kubernetes.js';
import { authSchema, ingestSchema, storeSchema, tlsSchema, type AuthFile, type IngestFile, type StoreFile, type TlsFile } from './store-auth.js';

/** The YAML configuration file of `portcullis serve`, documented in docs/configuration.md. */
export interface ConfigFile extends KubernetesFile {
  readonly fleet?: FleetFile;
  readonly inventory?: InventoryFile;
  /** The web console under /ui/. */
  readonly ui?: UiFile;
  readonly server?: { readonly listen?: string; readonly tls?: TlsFile; readonly timeouts?: TimeoutsFile };
  readonly store?: StoreFile;
  readonly auth?: AuthFile;
  readonly ingest?: IngestFile;
  readonly bundles?: {
    readonly dir?: string;
    readonly rescan_interval_ms?: number;
    readonly signing?: SigningPolicyFile;
    /** Serve delta bundles for data-only changes; default: on unless signatures are required (OPA does not verify deltas). */
    readonly deltas?: boolean;
    /** `oci://host[:port]/repository`: take the bundles from an OCI repository (one tag per bundle) instead of the folder. */
    readonly source?: string;
    readonly oci?: OciSourceFile;
  };
  /** Trusted verification keys by key id, as OPA's `keys` block; several ids at once allow rotation. */
  readonly keys?: Readonly<Record<string, KeyFile>>;
  readonly state?: { readonly dir?: string };
  readonly log?: { readonly level?: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent' };
  readonly limits?: {
    readonly max_bundle_bytes?: number;
    readonly max_file_bytes?: number;
    readonly max_uncompressed_bytes?: number;
    readonly max_compression_ratio?: number;
    readonly max_entries?: number;
    readonly max_request_bytes?: number;
    readonly max_input_bytes?: number;
    readonly max_wasm_memory_bytes?: number;
    readonly max_json_depth?: number;
  };
}

/** How long a client may take (seconds); see core/limits.ts SERVER_TIMEOUTS. */
export interface TimeoutsFile {
  readonly headers_seconds?: number;
  readonly request_seconds?: number;
  readonly idle_seconds?: number;
  readonly keep_alive_seconds?: number;
}

/** One trusted key: a public key (or certificate) file, or for HS* a secret file or environment variable. */
export interface KeyFile {
  readonly algorithm: string;
  readonly key?: string;
  readonly secret_file?: string;
  readonly secret_env?: string;
  readonly scope?: string;
}

/** Mirrors OPA's `bundles[_].signing`, applied to every bundle the server publishes. */
export interface SigningPolicyFile {
  /** Refuse unsigned bundles (default true once keys are configured). */
  readonly required?: boolean;
  readonly keyid?: string;
  readonly scope?: string;
  readonly exclude_files?: readonly string[];
}

const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'HS256', 'HS384', 'HS512'];

const positiveInt = { type: 'integer', minimum: 1 } as const;

export const configFileSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    fleet: fleetSchema,
    inventory: inventorySchema,
    ui: uiSchema,
    admission: admissionSchema,
    gatekeeper: gatekeeperSchema,
    server: {
      type: 'object',
      additionalProperties: false,
      properties: {
        listen: { type: 'string', pattern: '^(\\[[0-9a-fA-F:]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5}$' },
        tls: tlsSchema,
        timeouts: {
          type: 'object',
          additionalProperties: false,
          properties: {
            headers_seconds: { type: 'integer', minimum: 1, maximum: 3600 },
            request_seconds: { type: 'integer', minimum: 1, maximum: 86400 },
            idle_seconds: { type: 'integer', minimum: 1, maximum: 3600 },
            keep_alive_seconds: { type: 'integer', minimum: 1, maximum: 3600 },
          },
        },
      },
    },
    store: storeSchema,
    auth: authSchema,
    ingest: ingestSchema,
    bundles: {
      type: 'object',
      additionalProperties: false,
      properties: {
        dir: { type: 'string', minLength: 1 },
        rescan_interval_ms: { type: 'integer', minimum: 100 },
        deltas: { type: 'boolean' },
        source: sourceSchema,
        oci: ociSourceSchema,
        signing: {
          type: 'object',
          additionalProperties: false,
          properties: {
            required: { type: 'boolean' },
            keyid: { type: 'string', minLength: 1 },
            scope: { type: 'string' },
            exclude_files: { type: 'array', items: { type: 'string', minLength: 1 } },
          },
        },
      },
    },
    keys: {
      type: 'object',
      propertyNames: { pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['algorithm'],
        properties: {
          algorithm: { enum: ALGORITHMS },
          key: { type: 'string', minLength: 1 },
          secret_file: { type: 'string', minLength: 1 },
          secret_env: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
          scope: { type: 'string' },
        },
        oneOf: [{ required: ['key'] }, { required: ['secret_file'] }, { required: ['secret_env'] }],
      },
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
        max_request_bytes: positiveInt,
        max_input_bytes: positiveInt,
        // A wasm32 memory holds at most 4 GiB.
        max_wasm_memory_bytes: { type: 'integer', minimum: 1048576, maximum: 4294967296 },
        // Stored decision-log events nest two levels below the body, and SQLite's JSON functions stop at 1,000.
        max_json_depth: { type: 'integer', minimum: 16, maximum: 512 },
      },
    },
  },
} as const;
