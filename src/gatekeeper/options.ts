import { readFile } from 'node:fs/promises';
import { AppError } from '../core/index.js';
import type { EnforcementAction } from './constraints.js';
import { DEFAULT_GATEKEEPER_OPTIONS, type GatekeeperOptions } from './manifests.js';

/** What the CLI flags and the server configuration may set; everything else keeps its default. */
export interface GatekeeperOptionInputs {
  readonly providerName?: string | undefined;
  readonly providerUrl?: string | undefined;
  readonly timeoutSeconds?: number | undefined;
  /** File holding the PEM CA certificate for the Provider's caBundle. */
  readonly caFile?: string | undefined;
  readonly excludedNamespaces?: readonly string[] | undefined;
  /** deny, warn or dryrun; "none" leaves the scan-verdict Constraint out. */
  readonly scanVerdict?: string | undefined;
  readonly allowUnscanned?: boolean | undefined;
}

const ACTIONS: ReadonlySet<string> = new Set(['deny', 'warn', 'dryrun', 'none']);

export async function resolveGatekeeperOptions(inputs: GatekeeperOptionInputs): Promise<GatekeeperOptions> {
  const d = DEFAULT_GATEKEEPER_OPTIONS;
  const url = inputs.providerUrl ?? d.provider.url;
  // Gatekeeper refuses anything but https ("only HTTPS scheme is supported").
  if (!/^https:\/\/[^\s/]+/.test(url)) throw new AppError('USAGE', `the provider URL must be https://..., got '${url}'`);
  const timeout = inputs.timeoutSeconds ?? d.provider.timeoutSeconds;
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 30) throw new AppError('USAGE', `the provider timeout must be 1 to 30 seconds, got ${timeout}`);
  const verdict = inputs.scanVerdict ?? 'deny';
  if (!ACTIONS.has(verdict)) throw new AppError('USAGE', `the scan-verdict action must be deny, warn, dryrun or none, got '${verdict}'`);
  const caPem = inputs.caFile === undefined ? undefined : await readCa(inputs.caFile);
  return {
    provider: { name: inputs.providerName ?? d.provider.name, url, timeoutSeconds: timeout, ...(caPem === undefined ? {} : { caPem }) },
    excludedNamespaces: inputs.excludedNamespaces ?? d.excludedNamespaces,
    scanVerdict: verdict === 'none' ? null : { action: verdict as EnforcementAction, allowUnscanned: inputs.allowUnscanned ?? false },
  };
}

async function readCa(file: string): Promise<string> {
  const text = await readFile(file, 'utf8').catch((err: unknown) => {
    throw new AppError('FILE_NOT_FOUND', `CA certificate ${file} cannot be read`, { cause: err });
  });
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new AppError('INPUT_INVALID', `${file} holds no PEM certificate`);
  return text;
}
