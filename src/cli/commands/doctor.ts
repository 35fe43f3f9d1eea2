import { loadConfig, type Config } from '../../config/index.js';
import {
  describeSearchOrder,
  pinnedToolVersion,
  setupHint,
  toolCandidates,
  PACKAGE_TOOLS,
  TOOL_SPECS,
  type ToolCandidate,
  type ToolEnvironment,
  type PackageTool,
  type ToolName,
} from '../../compile/index.js';
import { EXIT } from '../../core/index.js';
import { findDefaultBundle } from '../default-bundle.js';

export interface DoctorOptions {
  readonly json?: boolean;
}

interface ToolReport {
  readonly path: string | null;
  readonly version: string | null;
  readonly source: string | null;
  readonly pinned: string;
  readonly matchesPin: boolean;
  readonly required: boolean;
  readonly neededFor: string;
  readonly searchOrder: string;
  /** The command that installs it, when it is missing. */
  readonly fix: string | null;
  readonly candidates: readonly ToolCandidate[];
}

function toolReport(name: ToolName, tools: ToolEnvironment): ToolReport {
  const pinned = pinnedToolVersion(name);
  const candidates = toolCandidates(name, tools);
  const chosen = candidates.find((c) => c.version === pinned);
  return {
    path: chosen?.path ?? null,
    version: chosen?.version ?? null,
    source: chosen?.source ?? null,
    pinned,
    matchesPin: chosen !== undefined,
    required: name === 'opa',
    neededFor: TOOL_SPECS[name].neededFor,
    searchOrder: describeSearchOrder(name, tools),
    fix: chosen ? null : setupHint(name),
    candidates,
  };
}

/**
 * Reports the pinned tools, the default policy bundle `check` uses, Node and
 * the state directory. Exit 0 when the pinned opa is found, 3 when it is
 * missing (build, check --policies and review need it; check with the shipped
 * bundle does not). gator and Regal are optional and never change the exit code.
 */
export async function doctor(options: DoctorOptions): Promise<number> {
  const config = await loadConfig(undefined);
  const tools = Object.fromEntries(PACKAGE_TOOLS.map((name) => [name, toolReport(name, config.tools)])) as Record<PackageTool, ToolReport>;
  const bundle = findDefaultBundle(config) ?? null;
  const report = {
    ...tools,
    defaultBundle: { path: bundle, fix: bundle ? null : 'run "npx portcullis build" in a checkout of the policies, or pass --bundle FILE to check' },
    userCacheDir: config.tools.userCacheDir,
    node: { version: process.versions.node },
    stateDir: config.stateDir,
  };
  if (options.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    process.stdout.write(`${formatText(tools, report, config)}\n`);
    for (const name of PACKAGE_TOOLS) {
      const fix = tools[name].fix;
      if (fix) process.stderr.write(`portcullis: ${name} ${tools[name].pinned} is missing; ${tools[name].neededFor}. To install it: ${fix}\n`);
    }
  }
  return tools.opa.matchesPin ? EXIT.OK : EXIT.INTERNAL;
}

function formatText(
  tools: Record<PackageTool, ToolReport>,
  report: { defaultBundle: { path: string | null; fix: string | null }; userCacheDir: string; stateDir: string },
  config: Config,
): string {
  const lines: string[] = [];
  for (const name of PACKAGE_TOOLS) {
    const t = tools[name];
    const found = t.path ? `${t.path} (${t.source})` : 'MISSING';
    lines.push(`${name.padEnd(15)} ${t.pinned.padEnd(9)} ${found}`);
    lines.push(`${''.padEnd(15)} ${t.neededFor}`);
    for (const c of t.candidates.filter((c) => c.version !== t.pinned)) {
      lines.push(`${''.padEnd(15)} skipped ${c.path} (${c.source}): version ${c.version ?? 'unavailable'}, pinned ${t.pinned}`);
    }
  }
  const bundle = report.defaultBundle;
  lines.push(`${'default bundle'.padEnd(15)} ${bundle.path ?? `MISSING: ${bundle.fix}`} (check without --bundle or --policies; needs no opa)`);
  lines.push(`${'tool search'.padEnd(15)} ${describeSearchOrder(undefined, config.tools)}`);
  lines.push(`${'user cache'.padEnd(15)} ${report.userCacheDir}`);
  lines.push(`${'node'.padEnd(15)} ${process.versions.node}`);
  lines.push(`${'state dir'.padEnd(15)} ${report.stateDir}`);
  return lines.join('\n');
}
