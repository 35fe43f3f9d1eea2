import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { AppError, compileSchema, EVALUATION_LIMITS, MAX_JSON_DEPTH, parseYamlStrict, REQUEST_LIMITS, SERVER_TIMEOUTS } from '../core/index.js';
import type { ReadLimits } from '../bundle/index.js';
import { toolEnvironment, type ToolEnvironment } from '../compile/index.js';
import type { EvaluationLimits } from '../evaluate/index.js';
import type { KeySource } from '../sign/index.js';
import { DEFAULTS } from './defaults.js';
import { readEnvironment } from './environment.js';
import { fleetConfig, type FleetConfig } from './fleet.js';
import { inventoryConfig, type InventoryConfig } from './inventory.js';
import { uiConfig, type UiConfig } from './ui.js';
import { kubernetesConfig, type KubernetesConfig } from './kubernetes.js';
import { ociSourceConfig, type OciSourceConfig } from './oci-source.js';
import { configFileSchema, type ConfigFile, type KeyFile, type TimeoutsFile } from './schema.js';
import { storeAuthConfig, type StoreAuthConfig } from './store-auth.js';

/** A trusted key as configured: where its material is, not the material itself. */
export interface KeyConfig {
  readonly algorithm: string;
  readonly source: KeySource;
  readonly scope?: string;
}

/** The signing rules every published bundle must pass, once keys are configured. */
export interface SigningPolicy {
  readonly required: boolean;
  readonly keyid?: string;
  readonly scope?: string;
  readonly excludeFiles: readonly string[];
}

export interface Config extends StoreAuthConfig {
  readonly listen: { readonly host: string; readonly port: number };
  readonly bundlesDir: string;
  /** Set when bundles come from an OCI repository (`bundles.source: oci://...`) instead of bundlesDir. */
  readonly ociSource: OciSourceConfig | undefined;
  readonly definitionsDir: string;
  readonly stateDir: string;
  readonly logLevel: string;
  readonly rescanIntervalMs: number;
  /** Bundle archives, wherever they are read. */
  readonly limits: ReadLimits;
  /** Inputs handed to a Wasm policy, and its heap. */
  readonly evaluation: EvaluationLimits;
  /** Bodies of POST /v1/check, /v1/data and /v1/reports, and the nesting of every JSON body. */
  readonly requests: { readonly maxBodyBytes: number; readonly maxDepth: number };
  /** How long a client may take, in milliseconds. */
  readonly timeouts: { readonly headersMs: number; readonly requestMs: number; readonly idleMs: number; readonly keepAliveMs: number };
  /** Where the pinned opa, gator and Regal are looked for: $OPA_BIN, $GATOR_BIN, $REGAL_BIN, the per-user cache ($XDG_CACHE_HOME), PATH. */
  readonly tools: ToolEnvironment;
  /** Verification keys by id; empty means bundles are published without signature checks. */
  readonly keys: ReadonlyMap<string, KeyConfig>;
  readonly signing: SigningPolicy;
  /** Only the environment variables that `secret_env` keys name. */
  readonly keyEnv: Readonly<Record<string, string | undefined>>;
  /** Whether data-only changes are also offered as delta bundles. */
  readonly deltas: boolean;
  /** Agent groups served through a discovery bundle, when configured. */
  readonly fleet: FleetConfig | undefined;
  /** The admission webhook, the Gatekeeper provider and the generated Gatekeeper manifests. */
  readonly kubernetes: KubernetesConfig;
  /** The runtime inventory, its re-evaluation and change webhook. */
  readonly inventory: InventoryConfig;
  /** The web console under /ui/. */
  readonly ui: UiConfig;
}

export interface ConfigOverrides {
  readonly listen?: string | undefined;
  readonly bundlesDir?: string | undefined;
  readonly stateDir?: string | undefined;
}

const assertConfigFile = compileSchema<ConfigFile>(configFileSchema, 'CONFIG_INVALID');

/**
 * Flags, then environment, then file, then defaults; validated and frozen.
 * Environment variables are read only through readEnvironment (environment.ts).
 */
export async function loadConfig(file: string | undefined, overrides: ConfigOverrides = {}, env = process.env): Promise<Config> {
  const parsed = file ? await readConfigFile(file) : {};
  const base = file ? dirname(resolve(file)) : process.cwd();
  const vars = readEnvironment(env);
  const listen = parseListen(overrides.listen ?? parsed.server?.listen ?? `${DEFAULTS.listenHost}:${DEFAULTS.listenPort}`);
  const limits = parsed.limits ?? {};
  const maxDepth = limits.max_json_depth ?? MAX_JSON_DEPTH;
  const stateDir = resolve(overrides.stateDir ?? vars.PORTCULLIS_STATE_DIR ?? resolve(base, parsed.state?.dir ?? DEFAULTS.stateDir));
  const tls = parsed.server?.tls;
  const signing = signingConfig(parsed, base, env, file ?? 'configuration');
  const storeAuth = storeAuthConfig({ ...parsed, ...(tls ? { tls } : {}), maxJsonDepth: maxDepth }, base, stateDir, env);
  if (parsed.bundles?.source !== undefined && parsed.bundles.dir !== undefined) {
    throw new AppError(
      'CONFIG_INVALID',
      `${file ?? 'configuration'}: bundles.dir and bundles.source are exclusive: serve takes bundles from a folder or from an OCI repository`,
    );
  }
  return Object.freeze({
    listen,
    bundlesDir: overrides.bundlesDir ? resolve(overrides.bundlesDir) : resolve(base, parsed.bundles?.dir ?? DEFAULTS.bundlesDir),
    // --dir picks the folder over a configured OCI source.
    ociSource: overrides.bundlesDir ? undefined : ociSourceConfig(parsed.bundles?.source, parsed.bundles?.oci, base, vars, env),
    definitionsDir: resolve(base, DEFAULTS.definitionsDir),
    stateDir,
    logLevel: vars.PORTCULLIS_LOG_LEVEL ?? parsed.log?.level ?? DEFAULTS.logLevel,
    rescanIntervalMs: parsed.bundles?.rescan_interval_ms ?? DEFAULTS.rescanIntervalMs,
    limits: Object.freeze({
      maxArchiveBytes: limits.max_bundle_bytes ?? DEFAULTS.maxBundleBytes,
      maxFileBytes: limits.max_file_bytes ?? DEFAULTS.maxFileBytes,
      maxTotalBytes: limits.max_uncompressed_bytes ?? DEFAULTS.maxUncompressedBytes,
      maxRatio: limits.max_compression_ratio ?? DEFAULTS.maxCompressionRatio,
      maxEntries: limits.max_entries ?? DEFAULTS.maxEntries,
    }),
    evaluation: Object.freeze({
      maxInputBytes: limits.max_input_bytes ?? EVALUATION_LIMITS.maxInputBytes,
      maxMemoryBytes: limits.max_wasm_memory_bytes ?? EVALUATION_LIMITS.maxMemoryBytes,
    }),
    requests: Object.freeze({ maxBodyBytes: limits.max_request_bytes ?? REQUEST_LIMITS.maxBodyBytes, maxDepth }),
    timeouts: timeoutsConfig(parsed.server?.timeouts ?? {}),
    tools: toolEnvironment(vars),
    fleet: fleetConfig(parsed.fleet, base),
    kubernetes: kubernetesConfig(parsed, base),
    inventory: inventoryConfig(parsed.inventory, base, vars, env),
    ui: uiConfig(parsed.ui),
    ...signing,
    deltas: parsed.bundles?.deltas ?? !signing.signing.required,
    ...storeAuth,
  });
}

function timeoutsConfig(t: TimeoutsFile): Config['timeouts'] {
  const ms = (seconds: number | undefined, fallback: number) => (seconds === undefined ? fallback : seconds * 1000);
  return Object.freeze({
    headersMs: ms(t.headers_seconds, SERVER_TIMEOUTS.headersMs),
    requestMs: ms(t.request_seconds, SERVER_TIMEOUTS.requestMs),
    idleMs: ms(t.idle_seconds, SERVER_TIMEOUTS.idleMs),
    keepAliveMs: ms(t.keep_alive_seconds, SERVER_TIMEOUTS.keepAliveMs),
  });
}

function signingConfig(parsed: ConfigFile, base: string, env: NodeJS.ProcessEnv, source: string): Pick<Config, 'keys' | 'signing' | 'keyEnv'> {
  const keys = new Map<string, KeyConfig>();
  const keyEnv: Record<string, string | undefined> = {};
  for (const [id, k] of Object.entries(parsed.keys ?? {})) {
    keys.set(id, { algorithm: k.algorithm, source: keySource(k, base), ...(k.scope === undefined ? {} : { scope: k.scope }) });
    if (k.secret_env !== undefined) keyEnv[k.secret_env] = env[k.secret_env];
  }
  const s = parsed.bundles?.signing ?? {};
  if (s.keyid !== undefined && !keys.has(s.keyid)) {
    throw new AppError('CONFIG_INVALID', `${source}: bundles.signing.keyid '${s.keyid}' is not one of the configured keys`);
  }
  const required = s.required ?? keys.size > 0;
  if (required && keys.size === 0) throw new AppError('CONFIG_INVALID', `${source}: bundles.signing.required needs at least one entry in keys`);
  const signing: SigningPolicy = {
    required,
    excludeFiles: Object.freeze([...(s.exclude_files ?? [])]),
    ...(s.keyid === undefined ? {} : { keyid: s.keyid }),
    ...(s.scope === undefined ? {} : { scope: s.scope }),
  };
  return { keys, signing: Object.freeze(signing), keyEnv: Object.freeze(keyEnv) };
}

function keySource(k: KeyFile, base: string): KeySource {
  if (k.key !== undefined) return { file: resolve(base, k.key) };
  if (k.secret_file !== undefined) return { secretFile: resolve(base, k.secret_file) };
  return { secretEnv: k.secret_env as string };
}

async function readConfigFile(file: string): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new AppError('CONFIG_INVALID', `configuration file ${file} cannot be read`, { cause: err });
  }
  return assertConfigFile(parseYamlStrict(text, file, 'CONFIG_INVALID') ?? {}, file);
}

/** `HOST:PORT`, `[v6]:PORT` or `:PORT`; port 0 asks the system for a free port. */
export function parseListen(value: string): { host: string; port: number } {
  const match = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]*):(\d{1,5})$/.exec(value);
  const port = Number(match?.[2]);
  if (!match || port > 65535) throw new AppError('USAGE', `--listen expects HOST:PORT, got '${value}'`);
  const host = (match[1] ?? '').replace(/^\[|\]$/g, '') || DEFAULTS.listenHost;
  return { host, port };
}
