import { appendFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { loadBundle, type LoadedBundle } from '../../bundle/index.js';
import {
  buildPoliciesBundle,
  defaultSettings,
  loadCheckPolicy,
  ruleHelpFromBundle,
  runCheckFiles,
  type CheckResult,
  type SettingsOverride,
} from '../../check/index.js';
import { loadConfig, type Config } from '../../config/index.js';
import { AppError, EXIT, exitCodeFor, isAppError, parseYamlStrict } from '../../core/index.js';
import { parseNow } from '../../inputs/index.js';
import { findingKey, getFormatter, getOutputFormat, type Decision, type ReportContext } from '../../report/index.js';
import { defaultBundle } from '../default-bundle.js';
import { readInputFile } from '../io.js';

export interface CheckCommandOptions {
  readonly report?: readonly string[];
  readonly format?: string;
  readonly dockerfile?: string;
  readonly manifest?: string;
  readonly metadata?: string;
  readonly bundle?: string;
  readonly policies?: string;
  readonly data?: string;
  readonly output?: string;
  readonly failOn?: string;
  readonly now?: string;
  readonly strict?: boolean;
  readonly allowEmpty?: boolean;
  readonly sarifBase?: string;
}

const MAX_DATA_BYTES = 16 * 1024 * 1024;

/**
 * `portcullis check`: exit 0 allow, 1 deny (or warnings with --fail-on warn),
 * 2 input or usage error, 3 internal or toolchain error. An error never exits
 * 1, so a CI gate can tell a policy failure from a broken run.
 */
export async function check(options: CheckCommandOptions, version: string, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  try {
    return await runCommand(options, version, env);
  } catch (err) {
    if (!isAppError(err) || exitCodeFor(err.code) !== EXIT.FAIL) throw err;
    // Compile and signature failures exit 1 elsewhere; here 1 means "denied" only.
    process.stderr.write(`portcullis: ${err.message}\n`);
    return EXIT.USAGE;
  }
}

async function runCommand(options: CheckCommandOptions, version: string, env: NodeJS.ProcessEnv): Promise<number> {
  const output = getOutputFormat(options.output ?? 'table');
  const failOn = parseFailOn(options.failOn ?? 'deny');
  const reports = options.report ?? [];
  if (reports.length === 0 && !options.dockerfile && !options.manifest) {
    throw new AppError('USAGE', 'nothing to check: give at least one --report, --dockerfile or --manifest');
  }
  if (options.bundle && options.policies) throw new AppError('USAGE', '--bundle and --policies exclude each other');
  const now = parseNow(options.now ?? new Date().toISOString()).toISOString();
  const config = await loadConfig(undefined);
  const settings = await settingsFor(options);
  const { bundle, label } = await policyBundle(options, config);
  const policy = await loadCheckPolicy(bundle, settings, label);
  const result = await runCheckFiles(
    policy,
    {
      reports: reports.map((path) => ({ path, format: options.format })),
      dockerfile: options.dockerfile,
      manifest: options.manifest,
      metadata: options.metadata,
      now,
      allowEmpty: options.allowEmpty === true,
    },
    { strict: options.strict === true },
  );
  const artifacts = [...reports, options.dockerfile, options.manifest].filter((p): p is string => p !== undefined);
  const context: ReportContext = {
    ...reportContext(result, artifacts, now, version),
    paths: displayPaths(artifacts, options.sarifBase),
    ...(output.name === 'sarif' ? { rules: ruleHelpFromBundle(bundle), packagePaths: packagePaths(result) } : {}),
  };
  process.stdout.write(output.format(result.decision, context));
  const summaryFile = env['GITHUB_STEP_SUMMARY'];
  if (summaryFile) await appendFile(summaryFile, getFormatter('markdown')(result.decision, context));
  return exitCode(result.decision, failOn);
}

/** The formatter context of a check: overall target, per-image decisions when there are several, input warnings. */
export function reportContext(result: CheckResult, artifacts: readonly string[], now: string, version: string): ReportContext {
  return {
    target: result.target,
    artifacts,
    now,
    tool: { name: 'portcullis', version },
    ...(result.results.length > 1
      ? { images: result.results.map((r) => ({ target: r.target, decision: r.decision, reports: r.input.reports.map((f) => f.file) })) }
      : {}),
    inputWarnings: result.inputWarnings,
  };
}

/** Where each vulnerable package sits in its image (the library's file, else the scanned target), for SARIF properties. */
function packagePaths(result: CheckResult): Record<string, string> {
  const paths: Record<string, string> = {};
  for (const { input } of result.results) {
    for (const v of input.vulnerabilities) {
      const path = v.package.path ?? v.target;
      if (path !== null) paths[findingKey(input.image.ref, v.id, v.package.name, v.installed_version)] = path;
    }
  }
  return paths;
}

/** Files as code scanning and annotations expect them: relative to the working directory (or --sarif-base), with forward slashes. */
function displayPaths(files: readonly string[], base: string | undefined): Record<string, string> {
  const root = resolve(base ?? '.');
  return Object.fromEntries(
    files.map((file) => {
      const rel = relative(root, resolve(file));
      return [file, rel.startsWith('..') || rel === '' ? file : rel.split(sep).join('/')];
    }),
  );
}

/** 1 when the decision is deny, or when there are warnings and the gate fails on them. */
export function exitCode(decision: Decision, failOn: 'deny' | 'warn'): number {
  if (decision.decision === 'deny') return EXIT.FAIL;
  if (failOn === 'warn' && decision.warnings.length > 0) return EXIT.FAIL;
  return EXIT.OK;
}

function parseFailOn(value: string): 'deny' | 'warn' {
  if (value === 'deny' || value === 'warn') return value;
  throw new AppError('USAGE', `--fail-on expects deny or warn, got '${value}'`);
}

/** --data, else for --policies the shipped default settings (said on stderr), else the bundle's own. */
async function settingsFor(options: CheckCommandOptions): Promise<SettingsOverride | undefined> {
  if (options.data !== undefined) return readSettings(options.data);
  if (options.policies === undefined) return undefined;
  const settings = await defaultSettings();
  process.stderr.write(
    `portcullis: --policies without --data: using the default settings of the image-scan bundle (${settings.source} in the portcullis package)\n`,
  );
  return settings;
}

async function readSettings(path: string): Promise<SettingsOverride> {
  const text = (await readInputFile(path, MAX_DATA_BYTES)).toString('utf8');
  return { value: parseYamlStrict(text, path, 'INPUT_INVALID'), source: path };
}

/** --bundle, else --policies compiled with opa, else the built image-scan bundle (here, then in the package). */
async function policyBundle(options: CheckCommandOptions, config: Config): Promise<{ bundle: LoadedBundle; label: string }> {
  if (options.policies !== undefined) {
    const bundle = await buildPoliciesBundle({ dir: options.policies, cacheDir: join(config.stateDir, 'cache'), tools: config.tools, limits: config.limits });
    return { bundle, label: `policies in ${options.policies}` };
  }
  const path = options.bundle ?? defaultBundle(config);
  return { bundle: loadBundle(await readInputFile(path, config.limits.maxArchiveBytes), config.limits), label: path };
}
