import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AppError, packageRoot, sha256Hex } from '../core/index.js';
import { describeSearchOrder, findPinnedTool, pinnedToolVersion, setupHint, TOOL_SPECS, type ToolEnvironment } from './tools.js';

export interface Toolchain {
  readonly opa: string;
  readonly version: string;
  readonly capabilities: string;
}

export function pinnedOpaVersion(): string {
  return pinnedToolVersion('opa');
}

export function capabilitiesPath(): string {
  return join(packageRoot(), 'tools/opa/capabilities.json');
}

/**
 * `opa version` costs a process start on every build; the answer is kept in
 * `cacheFile` for a binary with the same path, size and modification time.
 */
function cachedVersion(path: string, cacheFile: string | undefined): string | undefined {
  const info = cacheFile ? statSync(path, { throwIfNoEntry: false }) : undefined;
  if (!info || !cacheFile) return TOOL_SPECS.opa.versionOf(path);
  const stamp = `${path}:${info.size}:${info.mtimeMs}`;
  let cache: Record<string, string> = {};
  try {
    cache = JSON.parse(readFileSync(cacheFile, 'utf8')) as Record<string, string>;
  } catch {
    // No cache yet, or a damaged one: ask opa.
  }
  const known = cache[stamp];
  if (known) return known;
  const version = TOOL_SPECS.opa.versionOf(path);
  if (version) {
    mkdirSync(dirname(cacheFile), { recursive: true });
    writeFileSync(cacheFile, JSON.stringify({ ...cache, [stamp]: version }));
  }
  return version;
}

/** The pinned opa (see findPinnedTool for the search order), or TOOLCHAIN_MISSING (exit 3) saying how to get one. */
export function resolveToolchain(tools: ToolEnvironment, versionCache?: string): Toolchain {
  const found = findPinnedTool('opa', tools, (path) => cachedVersion(path, versionCache));
  if (found) return { opa: found.path, version: found.version, capabilities: capabilitiesPath() };
  throw new AppError(
    'TOOLCHAIN_MISSING',
    `opa ${pinnedOpaVersion()} is required but was not found (looked at ${describeSearchOrder('opa', tools)}): ${setupHint('opa')}`,
  );
}

/** Names the compiler for the build cache: the pinned opa release and the capabilities it compiles against. */
export function compilerIdentity(): string {
  return `opa-${pinnedOpaVersion()}+capabilities-${sha256Hex(readFileSync(capabilitiesPath()))}`;
}
