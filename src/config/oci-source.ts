import { resolve } from 'node:path';
import { AppError } from '../core/index.js';
import { DEFAULTS } from './defaults.js';

/** `bundles.source: oci://...` and `bundles.oci:` in the serve configuration. */
export interface OciSourceFile {
  /** Bundle name → tag; a list means each bundle's tag is its name. */
  readonly tags: readonly string[] | Readonly<Record<string, string>>;
  readonly poll_interval_seconds?: number;
  readonly insecure?: boolean;
  readonly ca?: string;
  readonly username?: string;
  readonly password_env?: string;
  readonly token_env?: string;
  readonly docker_config?: string;
}

/** Where serve takes its bundles from when it is an OCI repository rather than a folder. */
export interface OciSourceConfig {
  /** `host[:port]/repository`, as written after `oci://` (parsed and checked when serve starts). */
  readonly repository: string;
  /** Bundle name → tag. */
  readonly tags: ReadonlyMap<string, string>;
  readonly pollIntervalMs: number;
  readonly insecure: boolean;
  /** Absolute path of extra CA certificates to trust. */
  readonly ca?: string;
  readonly username?: string;
  /** Read from the environment variable `password_env` names; never written in the file. */
  readonly password?: string;
  readonly token?: string;
  readonly dockerConfig?: string;
  /** Only what locating Docker's config.json needs: DOCKER_CONFIG and HOME. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

const NAME = '^[a-z0-9][a-z0-9._-]{0,62}$';
const TAG = '^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$';
const ENV_VAR = { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' } as const;

export const sourceSchema = { type: 'string', pattern: '^oci://[^/\\s]+/\\S+$' } as const;

export const ociSourceSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['tags'],
  properties: {
    tags: {
      oneOf: [
        { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', pattern: NAME } },
        { type: 'object', minProperties: 1, propertyNames: { pattern: NAME }, additionalProperties: { type: 'string', pattern: TAG } },
      ],
    },
    poll_interval_seconds: { type: 'integer', minimum: 1 },
    insecure: { type: 'boolean' },
    ca: { type: 'string', minLength: 1 },
    username: { type: 'string', minLength: 1 },
    password_env: ENV_VAR,
    token_env: ENV_VAR,
    docker_config: { type: 'string', minLength: 1 },
  },
} as const;

/** Resolves `bundles.source` and `bundles.oci`; undefined when bundles come from the folder. */
export function ociSourceConfig(
  source: string | undefined,
  file: OciSourceFile | undefined,
  base: string,
  env: Readonly<Record<string, string | undefined>>,
): OciSourceConfig | undefined {
  if (source === undefined) {
    if (file !== undefined) throw new AppError('CONFIG_INVALID', 'bundles.oci is set but bundles.source does not name an oci:// repository');
    return undefined;
  }
  if (file === undefined) throw new AppError('CONFIG_INVALID', `bundles.source ${source} needs bundles.oci.tags: the bundles to take from it`);
  const tags = new Map(Array.isArray(file.tags) ? file.tags.map((name: string) => [name, name]) : Object.entries(file.tags));
  const password = secretFrom(file.password_env, env, 'bundles.oci.password_env');
  const token = secretFrom(file.token_env, env, 'bundles.oci.token_env');
  if ((file.username === undefined) !== (password === undefined)) {
    throw new AppError('CONFIG_INVALID', 'bundles.oci.username and bundles.oci.password_env go together');
  }
  return {
    repository: source.slice('oci://'.length),
    tags,
    pollIntervalMs: (file.poll_interval_seconds ?? DEFAULTS.ociPollIntervalSeconds) * 1000,
    insecure: file.insecure ?? false,
    env: { DOCKER_CONFIG: env['DOCKER_CONFIG'], HOME: env['HOME'] },
    ...(file.ca === undefined ? {} : { ca: resolve(base, file.ca) }),
    ...(file.username === undefined ? {} : { username: file.username }),
    ...(password === undefined ? {} : { password }),
    ...(token === undefined ? {} : { token }),
    ...(file.docker_config === undefined ? {} : { dockerConfig: resolve(base, file.docker_config) }),
  };
}

function secretFrom(variable: string | undefined, env: Readonly<Record<string, string | undefined>>, field: string): string | undefined {
  if (variable === undefined) return undefined;
  const value = env[variable];
  if (!value) throw new AppError('CONFIG_INVALID', `${field}: the environment variable ${variable} is not set or empty`);
  return value;
}
