import { basename } from 'node:path';
import { loadConfig } from '../../config/index.js';
import { AppError, EXIT, isAppError } from '../../core/index.js';
import { formatReference, parseReference, publishBundle, type PublishedArtifact, type Reference, type RegistryAccess } from '../../oci/index.js';
import type { ReadLimits } from '../../bundle/index.js';
import { readInputFile } from '../io.js';
import { registryAccess, type RegistryFlags } from '../registry.js';

export interface PushCommandOptions extends RegistryFlags {
  readonly source?: string;
  readonly json?: boolean;
}

/** Pushes BUNDLE to every REF as an OCI artifact OPA agents load, and prints the manifest digest. */
export async function push(
  bundlePath: string,
  refs: readonly string[],
  options: PushCommandOptions,
  env: Readonly<Record<string, string | undefined>>,
  userAgent: string,
): Promise<number> {
  const config = await loadConfig(undefined);
  const references = refs.map((r) => parseReference(r, 'REF'));
  const bytes = await readInputFile(bundlePath, config.limits.maxArchiveBytes);
  const access = await registryAccess(options, env, userAgent);
  const name = basename(bundlePath).replace(/\.tar\.gz$|\.tgz$/, '');
  const published = await pushBundleFile(bundlePath, bytes, name, references, access, config.limits, sourceUrl(options.source, env));
  printPublished([published], options.json === true);
  return EXIT.OK;
}

/** One bundle pushed under several references, with what `push` and `build --push` print. */
export interface PushedBundle extends PublishedArtifact {
  readonly name: string;
  readonly refs: readonly string[];
}

export async function pushBundleFile(
  file: string,
  bytes: Uint8Array,
  name: string,
  refs: readonly Reference[],
  access: RegistryAccess,
  limits: ReadLimits,
  source: string | undefined,
): Promise<PushedBundle> {
  const published = await publishBundle(bytes, refs, access, {
    title: name,
    fileName: `${name}.tar.gz`,
    created: new Date(),
    limits,
    ...(source === undefined ? {} : { source }),
  }).catch((err: unknown) => {
    // The bundle's own faults name the file; registry faults name the registry already.
    if (isAppError(err) && err.code.startsWith('BUNDLE_')) throw new AppError(err.code, `${file}: ${err.message}`, { cause: err });
    throw err;
  });
  return { ...published, name, refs: refs.map((r) => formatReference({ ...r, tag: r.tag ?? 'latest' })) };
}

export function printPublished(pushed: readonly PushedBundle[], json: boolean): void {
  if (json) {
    process.stdout.write(
      `${JSON.stringify(
        pushed.map(({ name, refs, digest, revision, layer, results }) => ({ name, refs, digest, revision, layer, results })),
        null,
        2,
      )}\n`,
    );
    return;
  }
  for (const p of pushed) {
    const uploaded = new Set(p.results.flatMap((r) => r.uploaded)).size;
    const present = new Set(p.results.flatMap((r) => r.present)).size;
    for (const ref of p.refs) process.stdout.write(`Pushed ${ref}\n`);
    process.stdout.write(`Revision: ${p.revision} (${uploaded} blob(s) uploaded, ${present} already present)\n`);
    process.stdout.write(`Digest: ${p.digest}\n`);
  }
}

/** The source annotation: --source, else the repository URL a GitHub or GitLab CI job runs for. */
export function sourceUrl(flag: string | undefined, env: Readonly<Record<string, string | undefined>>): string | undefined {
  if (flag !== undefined) return flag;
  if (env['GITHUB_SERVER_URL'] && env['GITHUB_REPOSITORY']) return `${env['GITHUB_SERVER_URL']}/${env['GITHUB_REPOSITORY']}`;
  return env['CI_PROJECT_URL'] || undefined;
}
