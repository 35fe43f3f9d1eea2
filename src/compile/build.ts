import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { AppError, canonicalJson, sha256Hex, type JsonValue } from '../core/index.js';
import {
  assembleBundle,
  assertBundlesDisjoint,
  assertRootsDisjoint,
  readTarGz,
  writeTarGz,
  regoPackagePath,
  rootContains,
  type BundleFile,
} from '../bundle/index.js';
import { keyFingerprint, loadSigningKey, parseAlgorithm, readKeyMaterial, signFiles, type KeySource, type SignOptions } from '../sign/index.js';
import { writeFileAtomic } from './atomic-write.js';
import { loadDataSources } from './data-sources.js';
import { loadDefinitions, type LoadedDefinition } from './definition.js';
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
}

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

interface Prepared {
  readonly definition: LoadedDefinition;
  readonly modules: readonly BundleFile[];
  readonly modulePaths: readonly string[];
  readonly data: Record<string, JsonValue>;
  readonly revision: string;
  readonly key: string;
  /** Loaded signing key and claims; never logged, never part of a result. */
  readonly signing?: SignOptions;
}

/**
 * Builds every definition: validates all of them first, compiles only what
 * the content-hash cache lacks, and writes each bundle atomically once every
 * bundle has been built, so a failure leaves the previous bundles untouched.
 */
export async function buildBundles(options: BuildOptions): Promise<BuildResult[]> {
  const definitions = await loadDefinitions(options.definitionsDir);
  assertBundlesDisjoint(definitions);
  const env = options.env ?? process.env;
  const prepared = await Promise.all(definitions.map((d) => prepare(d, options.compilerId, env)));
  // Compiles run side by side: each is an opa process, and a build is mostly waiting for them.
  const built = await Promise.all(prepared.map(async (p) => ({ prepared: p, ...(await bundleBytes(p, options)) })));
  const results: BuildResult[] = [];
  for (const { prepared: p, bytes, cached } of built) {
    const path = join(options.outDir, `${p.definition.name}.tar.gz`);
    const written = await writeFileAtomic(path, bytes);
    results.push({
      name: p.definition.name,
      revision: p.revision,
      files: readTarGz(bytes).length,
      size: bytes.byteLength,
      entrypoints: p.definition.entrypoints,
      path,
      cached,
      written,
    });
  }
  return results;
}

async function prepare(definition: LoadedDefinition, compilerId: string, env: Readonly<Record<string, string | undefined>>): Promise<Prepared> {
  assertRootsDisjoint(definition.roots, definition.file);
  const from = dirname(definition.file);
  const files = await expandPolicies(definition.policies, from, definition.file);
  const modulePaths = files.map((f) => pathBelow(definition.base, f, definition.file));
  const modules = await Promise.all(
    files.map(async (f, i) => ({ path: `/${modulePaths[i] as string}`, bytes: new Uint8Array(await readFile(f)) })),
  );
  for (const module of modules) checkPackage(module, definition);
  for (const ep of definition.entrypoints) checkUnderRoots(ep, definition, `entrypoint '${ep}'`);
  const data = await loadDataSources(definition.data ?? [], from, definition.file);
  // Signing is not content: it changes neither the revision nor the content key, only the cache key below.
  const { file: _file, base: _base, signing: _signing, ...portable } = definition;
  const contentKey = sha256Hex(
    canonicalJson({
      compiler: compilerId,
      definition: portable,
      modules: modules.map((m) => ({ path: m.path, sha256: sha256Hex(m.bytes) })),
      data,
    }),
  );
  const revision = await revisionFor(definition, contentKey);
  const signing = await signingFor(definition, env);
  // The cache key covers the signing settings and the key's public fingerprint, never the key or its path.
  const signingKey = signing ? `\n${canonicalJson({ ...signingClaims(signing), key: keyFingerprint(signing.key) })}` : '';
  const key = sha256Hex(`${contentKey}\n${revision}${signingKey}`);
  return { definition, modules, modulePaths, data, revision, key, ...(signing ? { signing } : {}) };
}

/** Loads the signing key of a definition up front, so a bad key fails the build before anything is compiled. */
async function signingFor(definition: LoadedDefinition, env: Readonly<Record<string, string | undefined>>): Promise<SignOptions | undefined> {
  const s = definition.signing;
  if (!s) return undefined;
  const algorithm = parseAlgorithm(s.algorithm, `${definition.file}: signing.algorithm`);
  const from = dirname(definition.file);
  const source: KeySource =
    s.key !== undefined ? { file: join(from, s.key) } : s.secret_file !== undefined ? { secretFile: join(from, s.secret_file) } : { secretEnv: s.secret_env as string };
  const label = `${definition.file}: signing key`;
  const key = loadSigningKey(await readKeyMaterial(source, algorithm, env, label), algorithm, label);
  return {
    algorithm,
    key,
    excludeFiles: s.exclude_files ?? [],
    ...(s.keyid === undefined ? {} : { keyId: s.keyid }),
    ...(s.scope === undefined ? {} : { scope: s.scope }),
  };
}

function signingClaims(s: SignOptions): Record<string, unknown> {
  return { algorithm: s.algorithm, keyid: s.keyId ?? null, scope: s.scope ?? null, exclude_files: s.excludeFiles ?? [] };
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

async function revisionFor(definition: LoadedDefinition, contentKey: string): Promise<string> {
  const strategy = definition.revision ?? { strategy: 'content' as const };
  if (strategy.strategy === 'static') return strategy.value;
  if (strategy.strategy === 'content') return contentKey.slice(0, 16);
  try {
    const { stdout } = await promisify(execFile)('git', ['describe', '--always', '--dirty', '--abbrev=12'], { cwd: definition.base });
    return stdout.trim();
  } catch (err) {
    throw new AppError('DEFINITION_INVALID', `${definition.file}: revision strategy 'git' needs a git checkout`, { cause: err });
  }
}

async function bundleBytes(p: Prepared, options: BuildOptions): Promise<{ bytes: Uint8Array; cached: boolean }> {
  const cachePath = join(options.cacheDir, `${p.key}.tar.gz`);
  const hit = await readFile(cachePath).catch(() => undefined);
  if (hit) return { bytes: new Uint8Array(hit), cached: true };
  const compiled = await options.compiler().compile({
    cwd: p.definition.base,
    modules: p.modulePaths,
    entrypoints: p.definition.entrypoints,
    source: p.definition.file,
  });
  const files = assembleBundle({
    manifest: { revision: p.revision, roots: p.definition.roots, rego_version: 1, wasm: compiled.resolvers },
    data: p.data,
    modules: compiled.modules,
    wasm: compiled.wasm,
    maxFileBytes: p.definition.max_file_bytes ?? DEFAULT_MAX_FILE_BYTES,
  });
  // Signed last, over the assembled files, so the signature covers exactly the bytes written.
  const bytes = writeTarGz(p.signing ? await signFiles(files, p.signing) : files);
  await writeFileAtomic(cachePath, bytes);
  return { bytes, cached: false };
}
