import type { Command } from 'commander';
import { AppError } from '../core/index.js';
import type { RegistryAccess } from '../oci/index.js';
import { readInputFile } from './io.js';

/** The flags every command that talks to an OCI registry takes. */
export interface RegistryFlags {
  readonly username?: string;
  readonly passwordStdin?: boolean;
  readonly registryConfig?: string;
  readonly ca?: string;
  readonly insecure?: boolean;
}

export function registryOptions(command: Command): Command {
  return command
    .option(
      '-u, --username <user>',
      'registry user name (default $PORTCULLIS_REGISTRY_USERNAME; $PORTCULLIS_REGISTRY_TOKEN sends a registry token instead; else the Docker login for the registry)',
    )
    .option('--password-stdin', 'read the registry password from standard input (default $PORTCULLIS_REGISTRY_PASSWORD)')
    .option(
      '--registry-config <file>',
      'Docker config.json with logins and credential helpers (default $DOCKER_CONFIG/config.json, else ~/.docker/config.json)',
    )
    .option('--ca <file>', 'extra CA certificate (PEM) to trust for the registry and its token service')
    .option('--insecure', 'allow plain HTTP to a registry that does not speak TLS (loopback registries always may)');
}

const MAX_PASSWORD_BYTES = 64 * 1024;
const MAX_CA_BYTES = 1024 * 1024;

/**
 * Credentials, CA and transport rules from the flags and the environment:
 * --username with --password-stdin, else PORTCULLIS_REGISTRY_USERNAME and
 * PORTCULLIS_REGISTRY_PASSWORD, else PORTCULLIS_REGISTRY_TOKEN (sent as a
 * bearer token), else Docker's config.json and its credential helpers.
 */
export async function registryAccess(flags: RegistryFlags, env: Readonly<Record<string, string | undefined>>, userAgent: string): Promise<RegistryAccess> {
  const username = flags.username ?? (env['PORTCULLIS_REGISTRY_USERNAME'] || undefined);
  const password = flags.passwordStdin ? await readPassword() : env['PORTCULLIS_REGISTRY_PASSWORD'] || undefined;
  if (flags.passwordStdin && flags.username === undefined && username === undefined) throw new AppError('USAGE', '--password-stdin needs --username');
  const token = env['PORTCULLIS_REGISTRY_TOKEN'] || undefined;
  // Loaded here, not at the top: the command tree is built for every command, and most never talk to a registry.
  const { credentialLookup } = await import('../oci/index.js');
  const credentials = credentialLookup({
    env,
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
    ...(token === undefined || username !== undefined ? {} : { registryToken: token }),
    ...(flags.registryConfig === undefined ? {} : { dockerConfig: flags.registryConfig }),
  });
  const ca = flags.ca === undefined ? undefined : await readInputFile(flags.ca, MAX_CA_BYTES);
  return { credentials, userAgent, ...(ca ? { ca } : {}), ...(flags.insecure ? { insecure: true } : {}) };
}

async function readPassword(): Promise<string> {
  const bytes = await readInputFile('-', MAX_PASSWORD_BYTES);
  const password = bytes.toString('utf8').replace(/\r?\n$/, '');
  if (password === '') throw new AppError('USAGE', '--password-stdin: standard input held no password');
  return password;
}
