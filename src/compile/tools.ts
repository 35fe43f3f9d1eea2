// The one lookup for the Go tools portcullis pins (opa, gator, Regal), used by
// the CLI and by the repository's setup scripts alike. Each tool's release and
// checksums are pinned by its Go module under tools/<name>/ (go.mod, go.sum),
// which ships in the package so the pinned binary can be built anywhere.
import { execFileSync } from 'node:child_process';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';
import { AppError, packageRoot } from '../core/index.js';

export type ToolName = 'opa' | 'gator' | 'regal' | 'helm' | 'oras';
export const TOOL_NAMES: readonly ToolName[] = ['opa', 'gator', 'regal', 'helm', 'oras'];
/** The tools the package ships the modules of, which `portcullis setup` installs and doctor reports; helm and oras serve the repository's own tests and benchmarks. */
export type PackageTool = 'opa' | 'gator' | 'regal';
export const PACKAGE_TOOLS: readonly PackageTool[] = ['opa', 'gator', 'regal'];

/** Where a binary was found, in search order. */
export type ToolSource = 'env' | 'project' | 'user-cache' | 'PATH';
export const TOOL_SEARCH_ORDER: readonly ToolSource[] = ['env', 'project', 'user-cache', 'PATH'];

/** What the lookup reads from the environment; built once by toolEnvironment (config does it for the CLI). */
export interface ToolEnvironment {
  /** $OPA_BIN, $GATOR_BIN, $REGAL_BIN. */
  readonly bins: Readonly<Partial<Record<ToolName, string>>>;
  /** The per-user cache `portcullis setup` installs into: $XDG_CACHE_HOME/portcullis, else ~/.cache/portcullis. */
  readonly userCacheDir: string;
  /** $PATH. */
  readonly path: string;
}

export interface ToolCandidate {
  readonly source: ToolSource;
  readonly path: string;
  readonly version: string | undefined;
}

export interface ToolSpec {
  readonly name: ToolName;
  readonly envVar: string;
  /** The Go module whose release tools/<name>/go.mod requires. */
  readonly module: string;
  /** The main package `go build` makes the binary from. */
  readonly pkg: string;
  /** Whether the pin is written without the leading "v" (as `opa version` prints it). */
  readonly bareVersion: boolean;
  readonly buildFlags: (pin: string) => string[];
  /** Extra environment for `go build`. */
  readonly buildEnv?: Readonly<Record<string, string>>;
  readonly versionOf: (bin: string) => string | undefined;
  /** What portcullis needs it for, for doctor and setup. */
  readonly neededFor: string;
}

/** Runs `bin args` and returns its standard output, or undefined when it cannot run. */
function output(bin: string, args: readonly string[]): string | undefined {
  try {
    return execFileSync(bin, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
  } catch {
    return undefined;
  }
}

function versionLine(bin: string): string | undefined {
  return /^Version:\s+(\S+)/m.exec(output(bin, ['version']) ?? '')?.[1];
}

/**
 * gator's module version, from its embedded build info when Go is present, else
 * from `gator --version`: builds from the module print "(devel)" there unless
 * stamped, which the setup does the way Gatekeeper's release builds do.
 */
function gatorVersion(bin: string): string | undefined {
  const info = output('go', ['version', '-m', bin]);
  const built = info && /^\s+(?:mod|dep)\s+github\.com\/open-policy-agent\/gatekeeper\/v3\s+(v\S+)/m.exec(info)?.[1];
  if (built) return built;
  return /\bv\d+\.\d+\.\d+\S*/.exec(output(bin, ['--version']) ?? '')?.[0];
}

const GATEKEEPER = 'github.com/open-policy-agent/gatekeeper/v3';
const REGAL = 'github.com/open-policy-agent/regal';
const HELM = 'helm.sh/helm/v4';

export const TOOL_SPECS: Readonly<Record<ToolName, ToolSpec>> = {
  opa: {
    name: 'opa',
    envVar: 'OPA_BIN',
    module: 'github.com/open-policy-agent/opa',
    pkg: 'github.com/open-policy-agent/opa',
    bareVersion: true,
    // The opa_wasm tag gives the agent its Wasm runtime, which portcullis bundles need.
    buildFlags: () => ['-tags', 'opa_wasm'],
    // Static, exactly as the Dockerfile builds it, so the image build reuses Go's build cache.
    buildEnv: { CGO_ENABLED: '0' },
    versionOf: versionLine,
    neededFor: 'build, check --policies and review compile Rego with it',
  },
  gator: {
    name: 'gator',
    envVar: 'GATOR_BIN',
    module: GATEKEEPER,
    pkg: `${GATEKEEPER}/cmd/gator`,
    bareVersion: false,
    buildFlags: (pin) => ['-ldflags', `-X ${GATEKEEPER}/pkg/version.Version=${pin}`],
    versionOf: gatorVersion,
    neededFor: 'optional: tests the generated Gatekeeper manifests with gator verify',
  },
  regal: {
    name: 'regal',
    envVar: 'REGAL_BIN',
    module: REGAL,
    pkg: REGAL,
    bareVersion: false,
    buildFlags: (pin) => ['-ldflags', `-X ${REGAL}/pkg/version.Version=${pin}`],
    versionOf: versionLine,
    neededFor: 'optional: review lints policy changes with it, and reports lint as unavailable without it',
  },
  helm: {
    name: 'helm',
    envVar: 'HELM_BIN',
    module: HELM,
    pkg: `${HELM}/cmd/helm`,
    bareVersion: false,
    // Stamped the way Helm's release builds are, so `helm version` names the pin.
    buildFlags: (pin) => ['-ldflags', `-X ${HELM}/internal/version.version=${pin}`],
    versionOf: (bin) => output(bin, ['version', '--template', '{{.Version}}'])?.trim() || undefined,
    neededFor: 'development: the chart tests lint and render deploy/helm/portcullis with it',
  },
  oras: {
    name: 'oras',
    envVar: 'ORAS_BIN',
    module: 'oras.land/oras',
    pkg: 'oras.land/oras/cmd/oras',
    bareVersion: true,
    buildFlags: () => [],
    versionOf: versionLine,
    neededFor: 'development: bench:oci compares push and pull with it',
  },
};

/** The folder of a tool's pinning Go module inside the package. */
export function toolModuleDir(name: ToolName): string {
  return join(packageRoot(), 'tools', name);
}

/** The release tools/<name>/go.mod requires, as the tool prints its version ("1.22.3" for opa, "v0.38.1" for Regal). */
export function pinnedToolVersion(name: ToolName): string {
  const spec = TOOL_SPECS[name];
  const file = join(toolModuleDir(name), 'go.mod');
  let gomod: string;
  try {
    gomod = readFileSync(file, 'utf8');
  } catch (err) {
    throw new AppError('TOOLCHAIN_MISSING', `tools/${name}/go.mod cannot be read: the package is incomplete`, { cause: err });
  }
  const pin = new RegExp(`^\\s*(?:require\\s+)?${spec.module.replace(/[./]/g, '\\$&')} (v\\S+)`, 'm').exec(gomod)?.[1];
  if (!pin) throw new AppError('TOOLCHAIN_MISSING', `tools/${name}/go.mod does not require ${spec.module}`);
  return spec.bareVersion ? pin.slice(1) : pin;
}

/** The Go release tools/<name>/go.mod asks for (its `go` line), e.g. "1.26.0". */
export function requiredGoVersion(name: ToolName): string {
  return /^go (\S+)/m.exec(readFileSync(join(toolModuleDir(name), 'go.mod'), 'utf8'))?.[1] ?? 'unknown';
}

/** Reads what the lookup needs from an environment (only config and the setup scripts call this, with process.env). */
export function toolEnvironment(env: Readonly<Record<string, string | undefined>>): ToolEnvironment {
  const bins: Partial<Record<ToolName, string>> = {};
  for (const name of TOOL_NAMES) {
    const value = env[TOOL_SPECS[name].envVar];
    if (value) bins[name] = value;
  }
  // The XDG base directory spec: a relative $XDG_CACHE_HOME is invalid and ignored.
  const xdg = env['XDG_CACHE_HOME'];
  const cacheHome = xdg && isAbsolute(xdg) ? xdg : join(env['HOME'] || homedir(), '.cache');
  return { bins, userCacheDir: join(cacheHome, 'portcullis'), path: env['PATH'] ?? '' };
}

/** The repository's own build of a tool (git-ignored), made by `npm install` in a checkout of portcullis. */
export function projectToolPath(name: ToolName): string {
  return join(packageRoot(), '.tools', 'bin', name);
}

/** Where `portcullis setup` installs a tool: one folder per pinned release, so several pins can coexist. */
export function userToolPath(name: ToolName, pin: string, tools: ToolEnvironment): string {
  return join(tools.userCacheDir, 'tools', name, pin, name);
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The first `name` on PATH, as an absolute path. */
function onPath(name: string, path: string): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir || !isAbsolute(dir)) continue;
    const file = join(dir, name);
    if (isExecutableFile(file)) return file;
  }
  return undefined;
}

function candidatePath(name: ToolName, source: ToolSource, tools: ToolEnvironment, pin: string): string | undefined {
  switch (source) {
    case 'env':
      return tools.bins[name];
    case 'project':
      return [projectToolPath(name)].find(isExecutableFile);
    case 'user-cache':
      return [userToolPath(name, pin, tools)].find(isExecutableFile);
    case 'PATH':
      return onPath(name, tools.path);
  }
}

/** Every place the tool is found, in search order, each with the version it reports (doctor shows them all). */
export function toolCandidates(name: ToolName, tools: ToolEnvironment): ToolCandidate[] {
  const pin = pinnedToolVersion(name);
  return TOOL_SEARCH_ORDER.flatMap((source) => {
    const path = candidatePath(name, source, tools, pin);
    return path ? [{ source, path, version: TOOL_SPECS[name].versionOf(path) }] : [];
  });
}

/**
 * The first binary, in search order ($<TOOL>_BIN, the project's .tools/bin,
 * the per-user cache, PATH), whose version equals the pin; asks no further
 * once one matches. `versionOf` lets a caller cache version answers.
 */
export function findPinnedTool(
  name: ToolName,
  tools: ToolEnvironment,
  versionOf: (bin: string) => string | undefined = TOOL_SPECS[name].versionOf,
): { readonly path: string; readonly source: ToolSource; readonly version: string } | undefined {
  const pin = pinnedToolVersion(name);
  for (const source of TOOL_SEARCH_ORDER) {
    const path = candidatePath(name, source, tools, pin);
    if (path && versionOf(path) === pin) return { path, source, version: pin };
  }
  return undefined;
}

/** The search order in words, for one tool or (without a name) for all, for errors, `--help` and doctor. */
export function describeSearchOrder(name?: ToolName, tools?: ToolEnvironment): string {
  const variable = name ? `$${TOOL_SPECS[name].envVar}` : PACKAGE_TOOLS.map((n) => `$${TOOL_SPECS[n].envVar}`).join(' / ');
  const cache = tools ? join(tools.userCacheDir, 'tools') : '$XDG_CACHE_HOME/portcullis/tools (default ~/.cache/portcullis/tools)';
  return `${variable}, .tools/bin in a portcullis checkout, ${cache}, then PATH; each only when its version equals the pin`;
}

/** The command that installs a missing tool, wherever portcullis is installed. */
export function setupHint(name: ToolName): string {
  const pin = pinnedToolVersion(name);
  const command = (PACKAGE_TOOLS as readonly ToolName[]).includes(name) ? `npx portcullis setup ${name}` : `node scripts/setup-tools.mjs ${name}`;
  return `run "${command}" (needs Go ${requiredGoVersion(name)} or later; builds ${name} ${pin} from its pinned Go module), or set ${TOOL_SPECS[name].envVar} to the path of a ${name} binary of version ${pin}`;
}
