import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { AppError, canonicalJson, sha256Hex, type JsonValue } from '../core/index.js';
import {
  assertBundlesDisjoint,
  assertRootsDisjoint,
  packBundle,
  readTarGz,
  regoPackagePath,
  rootContains,
  type BundleFile,
} from '../bundle/index.js';
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
}

/**
 * Builds every definition: validates all of them first, compiles only what
 * the content-hash cache lacks, and writes each bundle atomically once every
 * bundle has been built, so a failure leaves the previous bundles untouched.
 */
export async function buildBundles(options: BuildOptions): Promise<BuildResult[]> {
  const definitions = await loadDefinitions(options.definitionsDir);
  assertBundlesDisjoint(definitions);
  const prepared = await Promise.all(definitions.map((d) => prepare(d, options.compilerId)));
  const built: { prepared: Prepared; bytes: Uint8Array; cached: boolean }[] = [];
  for (const p of prepared) built.push({ prepared: p, ...(await bundleBytes(p, options)) });
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

async function prepare(definition: LoadedDefinition, compilerId: string): Promise<Prepared> {
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
  const { file: _file, base: _base, ...portable } = definition;
  const contentKey = sha256Hex(
    canonicalJson({
      compiler: compilerId,
      definition: portable,
      modules: modules.map((m) => ({ path: m.path, sha256: sha256Hex(m.bytes) })),
      data,
    }),
  );
  const revision = await revisionFor(definition, contentKey);
  return { definition, modules, modulePaths, data, revision, key: sha256Hex(`${contentKey}\n${revision}`) };
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
  const bytes = packBundle({
    manifest: { revision: p.revision, roots: p.definition.roots, rego_version: 1, wasm: compiled.resolvers },
    data: p.data,
    modules: compiled.modules,
    wasm: compiled.wasm,
    maxFileBytes: p.definition.max_file_bytes ?? DEFAULT_MAX_FILE_BYTES,
  });
  await writeFileAtomic(cachePath, bytes);
  return { bytes, cached: false };
}
