import { cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { loadBundle, type LoadedBundle, type ReadLimits } from '../bundle/index.js';
import type { ToolEnvironment } from '../compile/index.js';
import { AppError, packageRoot, parseYamlStrict } from '../core/index.js';
import { WasmPolicy } from '../evaluate/index.js';
import { DECISION_ENTRYPOINT } from './run.js';
import { SETTINGS_PATH, withSettings } from './settings.js';

export interface SettingsOverride {
  /** Parsed settings document, merged into `data.portcullis.scan.settings`. */
  readonly value: unknown;
  /** Named in errors, e.g. the --data file. */
  readonly source: string;
}

/** Loads a bundle's policy for checks, with settings overridden when asked, and makes sure it has the decision rule. */
export async function loadCheckPolicy(bundle: LoadedBundle, settings?: SettingsOverride, label = 'bundle'): Promise<WasmPolicy> {
  const data = settings ? withSettings(bundle.data, settings.value, settings.source) : bundle.data;
  const policy = await WasmPolicy.fromBundle({ ...bundle, data });
  if (!policy.entrypoints.has(DECISION_ENTRYPOINT)) {
    const known = [...policy.entrypoints].sort().join(', ') || 'none';
    throw new AppError('EVAL_ENTRYPOINT_UNKNOWN', `${label} has no entrypoint ${DECISION_ENTRYPOINT} (it has: ${known})`);
  }
  return policy;
}

export interface BuildPoliciesOptions {
  /** Folder of Rego policies (`*_test.rego` files are left out) whose packages lie under portcullis/scan. */
  readonly dir: string;
  /** Content-addressed build cache, shared with `portcullis build`: an unchanged folder is not recompiled. */
  readonly cacheDir: string;
  readonly tools: ToolEnvironment;
  readonly limits: ReadLimits;
}

/**
 * Errors of the scratch project name the user's files instead: the copy is
 * gone when they read the message. opa names modules relative to the project
 * (policies/x.rego); the generated definition stands for --policies itself.
 */
function inUserFolder(err: unknown, work: string, dir: string): unknown {
  if (!(err instanceof AppError)) return err;
  const userDir = dir.replace(/\/+$/, '') || '.';
  const swap = (text: string) =>
    text
      .split(join(work, 'bundles', 'check.yaml'))
      .join(`--policies ${userDir}`)
      .split(join(work, 'policies'))
      .join(userDir)
      .replace(/(^|[\s(])policies\//gm, `$1${userDir}/`);
  const details = err.details.map((d) => ({ ...d, message: swap(d.message), ...(d.file === undefined ? {} : { file: swap(d.file) }) }));
  return new AppError(err.code, swap(err.message), { cause: err, details });
}

/**
 * Compiles a policy folder with the real opa into a bundle, through the same
 * pipeline as `portcullis build`: the folder is copied into a scratch project
 * with a generated definition, since module paths must lie below it.
 */
export async function buildPoliciesBundle(options: BuildPoliciesOptions): Promise<LoadedBundle> {
  const dir = resolve(options.dir);
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new AppError('FILE_NOT_FOUND', `--policies ${options.dir}: no such folder`);
  const work = await mkdtemp(join(tmpdir(), 'portcullis-check-'));
  try {
    await cp(dir, join(work, 'policies'), { recursive: true, filter: (src) => !src.includes('/.git') });
    await mkdir(join(work, 'bundles'));
    const definition = {
      name: 'check',
      roots: ['portcullis/scan'],
      policies: ['../policies/**/*.rego'],
      entrypoints: [DECISION_ENTRYPOINT],
      revision: { strategy: 'content' },
    };
    await writeFile(join(work, 'bundles', 'check.yaml'), JSON.stringify(definition));
    // Imported here: the compile pipeline (and its signing code) is only needed with --policies.
    const { buildBundles, compilerIdentity, OpaCompiler, resolveToolchain } = await import('../compile/index.js');
    const [result] = await buildBundles({
      definitionsDir: join(work, 'bundles'),
      outDir: join(work, 'out'),
      cacheDir: options.cacheDir,
      compilerId: compilerIdentity(),
      compiler: () => new OpaCompiler(resolveToolchain(options.tools)),
    }).catch((err: unknown) => {
      throw inUserFolder(err, work, options.dir);
    });
    if (!result) throw new AppError('INTERNAL', 'the policy build produced no bundle');
    return loadBundle(new Uint8Array(await readFile(result.path)), options.limits);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The bundle definition whose settings are the shipped default: the one `check` uses when no --bundle is given. */
const DEFAULT_DEFINITION = 'bundles/image-scan.yaml';

/**
 * The shipped default settings: the data file that bundles/image-scan.yaml
 * mounts at data.portcullis.scan.settings (examples/policy/settings.yaml), read
 * from the package, so `--policies` without `--data` decides exactly as the
 * shipped bundle would rather than with empty settings that allow almost
 * everything. `source` names the file relative to the package.
 */
export async function defaultSettings(): Promise<SettingsOverride> {
  const { loadDefinition } = await import('../compile/index.js');
  const definition = await loadDefinition(join(packageRoot(), DEFAULT_DEFINITION));
  const path = SETTINGS_PATH.join('/');
  const entry = definition.data?.find((d) => d.path === path);
  if (!entry) throw new AppError('DEFINITION_INVALID', `${DEFAULT_DEFINITION} mounts no data at ${path}`);
  const file = resolve(dirname(definition.file), entry.file);
  const source = relative(packageRoot(), file);
  return { value: parseYamlStrict(await readFile(file, 'utf8'), source, 'DEFINITION_INVALID'), source };
}
