import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { AppError, canonicalJson, sha256Hex } from '../core/index.js';
import {
  assembleBundle,
  assertBundlesDisjoint,
  assertRootsDisjoint,
  MANIFEST_PATH,
  parseManifest,
  readTarGz,
  writeTarGz,
  regoPackagePath,
  rootContains,
  type BundleFile,
} from '../bundle/index.js';
import { writeFileAtomic } from './atomic-write.js';
import { mountDataSources, readDataSources } from './data-sources.js';
import { loadDefinitions, type BundleSigning, type LoadedDefinition } from './definition.js';
import type { PolicyCompiler } from './compiler.js';
import { expandPolicies, pathBelow } from './sources.js';

const DEFAULT_MAX_FILE_BYTES = 1024 * 1024 * 1024;

export interface BuildOptions {
  readonly definitionsDir: string;
  readonly outDir: string;
  readonly cacheDir: string;
  /** Created only when something must be compiled, so a fully cached build never touches opa. */
  readonly compiler: () => PolicyCompiler;
  /** Identifies the compiler (opa version and capabilities) in the cache key. */
  readonly compilerId: string;
  /** Where `signing.secret_env` secrets are looked up; default the process environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Loads a definition's signing key (the sign domain's prepareDefinitionSigning,
   * injected so the compiler does not depend on signing). Needed only when a
   * definition has a `signing` block.
   */
  readonly signer?: DefinitionSigner;
}

/** A loaded signing key: what the cache key covers of it, and how to sign the assembled files. */
export interface PreparedSigning {
  readonly cacheClaims: Readonly<Record<string, unknown>>;
  sign(files: readonly BundleFile[]): Promise<BundleFile[]>;
}

export type DefinitionSigner = (signing: BundleSigning, definitionFile: string, env: Readonly<Record<string, string | undefined>>) => Promise<PreparedSigning>;

export interface BuildResult {
  readonly name: string;
  readonly revision: string;
  readonly files: number;
  readonly size: number;
  readonly entrypoints: readonly string[];
  readonly path: string;
  readonly cached: boolean;
  readonly written: boolean;
}

interface Built {
  readonly definition: LoadedDefinition;
  readonly revision: string;
  readonly files: number;
  readonly bytes: Uint8Array;
  readonly cached: boolean;
}

/**
 * Builds every definition: checks all of them, compiles only what the
 * content-hash cache lacks, and writes each bundle atomically once every
 * bundle has been built, so a failure leaves the previous bundles untouched.
 */
export async function buildBundles(options: BuildOptions): Promise<BuildResult[]> {
  const definitions = await loadDefinitions(options.definitionsDir);
  assertBundlesDisjoint(definitions);
  const env = options.env ?? process.env;
  // Definitions build side by side: each compile is an opa process, and a build is mostly waiting for them.
  const built = await Promise.all(definitions.map((d) => buildOne(d, options, env)));
  const results: BuildResult[] = [];
  for (const b of built) {
    const path = join(options.outDir, `${b.definition.name}.tar.gz`);
    const written = await writeFileAtomic(path, b.bytes);
    results.push({
      name: b.definition.name,
      revision: b.revision,
      files: b.files,
      size: b.bytes.byteLength,
      entrypoints: b.definition.entrypoints,
      path,
      cached: b.cached,
      written,
    });
  }
  return results;
}

/**
 * The cache is keyed by the bytes of everything the bundle is made of, so a
 * hit needs neither parsing nor schema checks nor a compile; a miss checks
 * the data before opa runs.
 */
async function buildOne(definition: LoadedDefinition, options: BuildOptions, env: Readonly<Record<string, string | undefined>>): Promise<Built> {
  assertRootsDisjoint(definition.roots, definition.file);
  const from = dirname(definition.file);
  const files = await expandPolicies(definition.policies, from, definition.file);
  const modulePaths = files.map((f) => pathBelow(definition.base, f, definition.file));
  const modules = await Promise.all(files.map(async (f, i) => ({ path: `/${modulePaths[i] as string}`, bytes: new Uint8Array(await readFile(f)) })));
  for (const module of modules) checkPackage(module, definition);
  for (const ep of definition.entrypoints) checkUnderRoots(ep, definition, `entrypoint '${ep}'`);
  const raw = await readDataSources(definition.data ?? [], from, definition.file);
  const signing = await signingFor(definition, options.signer, env);
  const fixedRevision = await fixedRevisionFor(definition);
  // Signing is not content: it changes neither the revision nor the content key, only the cache key.
  const { file: _file, base: _base, signing: _signing, ...portable } = definition;
  const moduleDigests = modules.map((m) => ({ path: m.path, sha256: sha256Hex(m.bytes) }));
  const key = sha256Hex(
    canonicalJson({
      compiler: options.compilerId,
      definition: portable,
      modules: moduleDigests,
      data: raw.map((r) => ({ sha256: sha256Hex(r.text), schema: r.schema ? sha256Hex(r.schema.text) : null })),
      revision: fixedRevision ?? null,
      // The signing settings and the key's public fingerprint, never the key or its path.
      signing: signing?.cacheClaims ?? null,
    }),
  );
  const cachePath = join(options.cacheDir, `${key}.tar.gz`);
  const hit = await readFile(cachePath).catch(() => undefined);
  if (hit) return fromCache(definition, new Uint8Array(hit));
  const data = mountDataSources(raw, definition.file);
  const revision = fixedRevision ?? sha256Hex(canonicalJson({ compiler: options.compilerId, definition: portable, modules: moduleDigests, data })).slice(0, 16);
  const compiled = await options
    .compiler()
    .compile({ cwd: definition.base, modules: modulePaths, entrypoints: definition.entrypoints, source: definition.file });
  const assembled = assembleBundle({
    manifest: { revision, roots: definition.roots, rego_version: 1, wasm: compiled.resolvers },
    data,
    modules: compiled.modules,
    wasm: compiled.wasm,
    maxFileBytes: definition.max_file_bytes ?? DEFAULT_MAX_FILE_BYTES,
  });
  // Signed last, over the assembled files, so the signature covers exactly the bytes written.
  const bundleFiles = signing ? await signing.sign(assembled) : assembled;
  const bytes = writeTarGz(bundleFiles);
  await writeFileAtomic(cachePath, bytes);
  return { definition, revision, files: bundleFiles.length, bytes, cached: false };
}

function fromCache(definition: LoadedDefinition, bytes: Uint8Array): Built {
  const files = readTarGz(bytes);
  const manifest = files.find((f) => f.path === MANIFEST_PATH);
  if (!manifest) throw new AppError('INTERNAL', `cached bundle for ${definition.file} has no manifest`);
  return { definition, revision: parseManifest(manifest.bytes).revision ?? '', files: files.length, bytes, cached: true };
}

/** Loads the signing key up front, so a bad key fails the build before anything is compiled. */
async function signingFor(
  definition: LoadedDefinition,
  signer: DefinitionSigner | undefined,
  env: Readonly<Record<string, string | undefined>>,
): Promise<PreparedSigning | undefined> {
  if (!definition.signing) return undefined;
  if (!signer) throw new AppError('INTERNAL', `${definition.file} signs its bundle, but this build was given no signer`);
  return signer(definition.signing, definition.file, env);
}

function checkPackage(module: BundleFile, definition: LoadedDefinition): void {
  const pkg = regoPackagePath(Buffer.from(module.bytes).toString('utf8'));
  if (pkg === undefined) throw new AppError('DEFINITION_INVALID', `${module.path.slice(1)}: no package declaration`);
  checkUnderRoots(pkg, definition, `'package ${pkg.replaceAll('/', '.')}' in module '${module.path.slice(1)}'`);
}

function checkUnderRoots(path: string, definition: LoadedDefinition, what: string): void {
  if (!definition.roots.some((root) => rootContains(root, path))) {
    throw new AppError('BUNDLE_PATH_OUTSIDE_ROOTS', `${definition.file}: roots ${JSON.stringify(definition.roots)} do not permit ${what}`);
  }
}

/** The revision when it does not follow from the content (static or git), else undefined. */
async function fixedRevisionFor(definition: LoadedDefinition): Promise<string | undefined> {
  const strategy = definition.revision ?? { strategy: 'content' as const };
  if (strategy.strategy === 'static') return strategy.value;
  if (strategy.strategy === 'content') return undefined;
  try {
    const { stdout } = await promisify(execFile)('git', ['describe', '--always', '--dirty', '--abbrev=12'], { cwd: definition.base });
    return stdout.trim();
  } catch (err) {
    throw new AppError('DEFINITION_INVALID', `${definition.file}: revision strategy 'git' needs a git checkout`, { cause: err });
  }
}
