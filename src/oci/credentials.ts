import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { AppError } from '../core/index.js';

/** What a registry login can be: a user and password, an OAuth2 identity (refresh) token, or a registry token sent as is. */
export type Credentials =
  | { readonly kind: 'basic'; readonly username: string; readonly password: string }
  | { readonly kind: 'identity-token'; readonly token: string }
  | { readonly kind: 'registry-token'; readonly token: string };

/** Credentials and where they came from, for messages (never the secret itself). */
export interface FoundCredentials {
  readonly credentials: Credentials;
  readonly from: string;
}

export type CredentialLookup = (registry: string) => Promise<FoundCredentials | undefined>;

export interface CredentialOptions {
  /** Given by flags or the environment: they win over the Docker configuration. */
  readonly username?: string;
  readonly password?: string;
  readonly registryToken?: string;
  /** Docker's config.json; default $DOCKER_CONFIG/config.json, else ~/.docker/config.json. */
  readonly dockerConfig?: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** The subset of Docker's config.json that holds logins. */
interface DockerConfig {
  readonly auths?: Readonly<Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string; registrytoken?: string }>>;
  readonly credHelpers?: Readonly<Record<string, string>>;
  readonly credsStore?: string;
}

const DOCKER_HUB = 'https://index.docker.io/v1/';
const DOCKER_HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);
const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Finds credentials for a registry the way docker and oras do: explicit
 * credentials first, then Docker's config.json (`credHelpers` for the host,
 * then `auths`, then the default `credsStore`), else none (anonymous).
 * The configuration is read, and helpers run, only when a registry asks.
 */
export function credentialLookup(options: CredentialOptions): CredentialLookup {
  const explicit = explicitCredentials(options);
  const configPath = options.dockerConfig ?? defaultDockerConfig(options.env);
  return async (registry) => explicit ?? fromDockerConfig(configPath, registry);
}

function explicitCredentials(options: CredentialOptions): FoundCredentials | undefined {
  if (options.registryToken !== undefined) return { credentials: { kind: 'registry-token', token: options.registryToken }, from: 'the given registry token' };
  if (options.username === undefined && options.password === undefined) return undefined;
  if (options.username === undefined || options.password === undefined) {
    throw new AppError('USAGE', 'registry credentials need both a username and a password');
  }
  return { credentials: { kind: 'basic', username: options.username, password: options.password }, from: `user '${options.username}'` };
}

export function defaultDockerConfig(env: Readonly<Record<string, string | undefined>>): string {
  if (env['DOCKER_CONFIG']) return join(env['DOCKER_CONFIG'], 'config.json');
  return join(env['HOME'] || homedir(), '.docker', 'config.json');
}

async function fromDockerConfig(path: string, registry: string): Promise<FoundCredentials | undefined> {
  const config = await readDockerConfig(path);
  if (!config) return undefined;
  const key = DOCKER_HUB_HOSTS.has(registry) ? DOCKER_HUB : registry;
  const helper = config.credHelpers?.[key] ?? config.credHelpers?.[registry];
  if (helper !== undefined) return runHelper(helper, key, `credHelpers in ${path}`);
  const entry = Object.entries(config.auths ?? {}).find(([k]) => hostOfAuthKey(k) === hostOfAuthKey(key))?.[1];
  const stored = entry ? storedCredentials(entry, path, key) : undefined;
  if (stored) return { credentials: stored, from: `${path} (auths)` };
  if (config.credsStore !== undefined) return runHelper(config.credsStore, key, `credsStore in ${path}`);
  return undefined;
}

async function readDockerConfig(path: string): Promise<DockerConfig | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
    return parsed;
  } catch (err) {
    throw new AppError('CONFIG_INVALID', `Docker configuration ${path} is not valid JSON: ${(err as Error).message}`);
  }
}

/** `https://host/v1/`, `http://host` and `host` all name the same registry in `auths`, as docker treats them. */
function hostOfAuthKey(key: string): string {
  return key.replace(/^https?:\/\//, '').split('/')[0] ?? key;
}

function storedCredentials(entry: NonNullable<DockerConfig['auths']>[string], path: string, key: string): Credentials | undefined {
  if (entry.identitytoken) return { kind: 'identity-token', token: entry.identitytoken };
  if (entry.registrytoken) return { kind: 'registry-token', token: entry.registrytoken };
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new AppError('CONFIG_INVALID', `Docker configuration ${path}: auths["${key}"].auth is not base64 of user:password`);
    return { kind: 'basic', username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (entry.username !== undefined && entry.password !== undefined) return { kind: 'basic', username: entry.username, password: entry.password };
  return undefined;
}

/** Runs `docker-credential-<helper> get` with the server URL on standard input, as docker does. */
async function runHelper(helper: string, serverUrl: string, namedBy: string): Promise<FoundCredentials | undefined> {
  const binary = `docker-credential-${helper}`;
  if (!HELPER_NAME.test(helper)) throw new AppError('CONFIG_INVALID', `credential helper name '${helper}' (${namedBy}) is not a plain name`);
  const output = await new Promise<string>((resolve, reject) => {
    const child = execFile(binary, ['get'], { timeout: 30_000, maxBuffer: 1024 * 1024, encoding: 'utf8' }, (err, stdout) => {
      if (!err) return resolve(stdout);
      if (/credentials not found/i.test(stdout)) return resolve('');
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'is not installed (not on PATH)' : `failed: ${(stdout || err.message).trim().split('\n')[0] ?? ''}`;
      reject(new AppError('REGISTRY_AUTH_FAILED', `credential helper ${binary} (${namedBy}) ${why}`, { cause: err }));
    });
    child.stdin?.end(serverUrl);
  });
  if (output === '') return undefined;
  let parsed: { Username?: unknown; Secret?: unknown };
  try {
    parsed = JSON.parse(output) as typeof parsed;
  } catch {
    throw new AppError('REGISTRY_AUTH_FAILED', `credential helper ${binary} (${namedBy}) did not print JSON`);
  }
  if (typeof parsed.Username !== 'string' || typeof parsed.Secret !== 'string') {
    throw new AppError('REGISTRY_AUTH_FAILED', `credential helper ${binary} (${namedBy}) printed no Username and Secret`);
  }
  // Docker's convention: the user name <token> marks the secret as an identity token.
  const credentials: Credentials =
    parsed.Username === '<token>' ? { kind: 'identity-token', token: parsed.Secret } : { kind: 'basic', username: parsed.Username, password: parsed.Secret };
  return { credentials, from: `credential helper ${binary}` };
}
