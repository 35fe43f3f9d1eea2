import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AppError, packageRoot, sha256Hex } from '../core/index.js';

export interface Toolchain {
  readonly opa: string;
  readonly version: string;
  readonly capabilities: string;
}

export interface OpaCandidate {
  readonly source: 'OPA_BIN' | 'project' | 'PATH';
  readonly path: string;
  readonly version: string | undefined;
}

export function pinnedOpaVersion(): string {
  const gomod = readFileSync(join(packageRoot(), 'tools/opa/go.mod'), 'utf8');
  const match = /github\.com\/open-policy-agent\/opa v(\S+)/.exec(gomod);
  if (!match?.[1]) throw new AppError('TOOLCHAIN_MISSING', 'tools/opa/go.mod does not pin github.com/open-policy-agent/opa');
  return match[1];
}

export function capabilitiesPath(): string {
  return join(packageRoot(), 'tools/opa/capabilities.json');
}

export function opaVersion(bin: string): string | undefined {
  try {
    const out = execFileSync(bin, ['version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
    return /^Version: (\S+)/m.exec(out)?.[1];
  } catch {
    return undefined;
  }
}

const SOURCES = ['OPA_BIN', 'project', 'PATH'] as const;

/**
 * `opa version` costs a process start on every build; the answer is kept in
 * `cacheFile` for a binary with the same size and modification time. A bare
 * `opa` from PATH is always asked, since what it names can change.
 */
function cachedVersion(path: string, cacheFile: string | undefined): string | undefined {
  const info = cacheFile && path !== 'opa' ? statSync(path, { throwIfNoEntry: false }) : undefined;
  if (!info || !cacheFile) return opaVersion(path);
  const stamp = `${path}:${info.size}:${info.mtimeMs}`;
  let cache: Record<string, string> = {};
  try {
    cache = JSON.parse(readFileSync(cacheFile, 'utf8')) as Record<string, string>;
  } catch {
    // No cache yet, or a damaged one: ask opa.
  }
  const known = cache[stamp];
  if (known) return known;
  const version = opaVersion(path);
  if (version) {
    mkdirSync(dirname(cacheFile), { recursive: true });
    writeFileSync(cacheFile, JSON.stringify({ ...cache, [stamp]: version }));
  }
  return version;
}

function candidatePath(source: OpaCandidate['source'], opaBin: string | undefined): string | undefined {
  if (source === 'OPA_BIN') return opaBin || undefined;
  if (source === 'project') {
    const local = join(packageRoot(), '.tools/bin/opa');
    return existsSync(local) ? local : undefined;
  }
  return 'opa';
}

/** Every place opa may come from, in the order they are tried: $OPA_BIN, the project build, then PATH. */
export function opaCandidates(opaBin: string | undefined): OpaCandidate[] {
  return SOURCES.flatMap((source) => {
    const path = candidatePath(source, opaBin);
    return path ? [{ source, path, version: opaVersion(path) }] : [];
  });
}

/** The first opa whose version matches the pin (asking no further), or TOOLCHAIN_MISSING (exit 3) saying how to get one. */
export function resolveToolchain(opaBin: string | undefined, versionCache?: string): Toolchain {
  const pin = pinnedOpaVersion();
  for (const source of SOURCES) {
    const path = candidatePath(source, opaBin);
    if (path && cachedVersion(path, versionCache) === pin) return { opa: path, version: pin, capabilities: capabilitiesPath() };
  }
  throw new AppError(
    'TOOLCHAIN_MISSING',
    `opa ${pin} is required but was not found (checked $OPA_BIN, .tools/bin/opa and PATH). ` +
      `Install Go and run "npm run setup:opa" to build it from tools/opa, or set OPA_BIN to an opa ${pin} binary.`,
  );
}

/** Names the compiler for the build cache: the pinned opa release and the capabilities it compiles against. */
export function compilerIdentity(): string {
  return `opa-${pinnedOpaVersion()}+capabilities-${sha256Hex(readFileSync(capabilitiesPath()))}`;
}
