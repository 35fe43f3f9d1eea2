import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { buildBundles, compilerIdentity, loadDefinitions, OpaCompiler, type LoadedDefinition, type Toolchain } from '../compile/index.js';
import { AppError, isAppError, messageOf } from '../core/index.js';
import { normalizeEntrypoint } from '../evaluate/index.js';
import type { RevisionInfo, Side } from './model.js';

/** One side of the review, built: its bundle archive and the policy folders the checks run on. */
export interface BuiltVersion {
  readonly side: Side;
  readonly info: RevisionInfo;
  /** Where this version's files are: the checkout itself for the working tree, else an exported copy. */
  readonly root: string;
  readonly archive: Uint8Array;
  /** Folders of the bundle's policies, relative to root (tests included, as opa test wants). */
  readonly policyDirs: readonly string[];
}

export interface BuildVersionRequest {
  readonly side: Side;
  readonly ref: string;
  readonly commit: string;
  readonly root: string;
  /** Bundle definitions folder, relative to the repository root. */
  readonly definitions: string;
  readonly entrypoint: string;
  readonly toolchain: Toolchain;
  readonly cacheDir: string;
  readonly outDir: string;
}

/** Builds every bundle definition of one version with the real opa and picks the bundle serving the entrypoint. */
export async function buildVersion(request: BuildVersionRequest): Promise<BuiltVersion> {
  const label = `${request.side} (${request.ref})`;
  try {
    const definitionsDir = join(request.root, request.definitions);
    const definition = pickDefinition(await loadDefinitions(definitionsDir), request.entrypoint, request.definitions);
    const results = await buildBundles({
      definitionsDir,
      outDir: request.outDir,
      cacheDir: request.cacheDir,
      compilerId: compilerIdentity(),
      compiler: () => new OpaCompiler(request.toolchain),
      signer: async (signing, file, env) => (await import('../sign/index.js')).prepareDefinitionSigning(signing, file, env),
    });
    const built = results.find((r) => r.name === definition.name);
    if (!built) throw new AppError('INTERNAL', `bundle ${definition.name} was not built`);
    return {
      side: request.side,
      info: { ref: request.ref, commit: request.commit, bundle: definition.name, definition: relative(request.root, definition.file).split(sep).join('/') },
      root: request.root,
      archive: new Uint8Array(await readFile(built.path)),
      policyDirs: policyDirs(definition, request.root),
    };
  } catch (err) {
    throw sideError(err, label, request.root);
  }
}

function pickDefinition(definitions: readonly LoadedDefinition[], entrypoint: string, dir: string): LoadedDefinition {
  const wanted = normalizeEntrypoint(entrypoint);
  const found = definitions.find((d) => d.entrypoints.some((e) => normalizeEntrypoint(e) === wanted));
  if (!found) throw new AppError('DEFINITION_INVALID', `no bundle definition in ${dir}/ has the entrypoint ${wanted}`);
  return found;
}

/** The fixed folder before the first glob of each policies pattern, outermost folders only. */
export function policyDirs(definition: LoadedDefinition, root: string): string[] {
  const from = dirname(definition.file);
  const dirs = definition.policies.map((pattern) => {
    const absolute = isAbsolute(pattern) ? pattern : resolve(from, pattern);
    const segments = absolute.split(sep);
    const firstGlob = segments.findIndex((s) => /[*?[\]{}!]/.test(s));
    const fixed = firstGlob === -1 ? dirname(absolute) : segments.slice(0, firstGlob).join(sep);
    return relative(root, fixed).split(sep).join('/') || '.';
  });
  const unique = [...new Set(dirs)].sort();
  return unique.filter((d) => !unique.some((o) => o !== d && (o === '.' || d.startsWith(`${o}/`))));
}

/** Names the side in the error and turns scratch-folder paths back into repository paths. */
function sideError(err: unknown, label: string, root: string): AppError {
  const strip = (s: string) => s.replaceAll(`${root}${sep}`, '').replaceAll(root, '.');
  if (!isAppError(err)) return new AppError('INTERNAL', `${label}: ${strip(messageOf(err))}`, { cause: err });
  const details = err.details.map((d) => ({ ...d, message: strip(d.message), ...(d.file ? { file: strip(d.file) } : {}) }));
  return new AppError(err.code, `${label} does not build: ${strip(err.message)}`, { cause: err, details });
}
