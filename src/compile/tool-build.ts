// Builds a pinned tool from its Go module in the package (tools/<name>/go.mod
// and go.sum pin the release and every checksum): never a download of a
// prebuilt binary. Go fetches the modules through its proxy and verifies them
// against go.sum.
import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { AppError, messageOf } from '../core/index.js';
import { pinnedToolVersion, requiredGoVersion, setupHint, TOOL_SPECS, toolModuleDir, type ToolName } from './tools.js';

/** `go version`'s answer, or undefined when Go is not installed. */
export function goVersion(): string | undefined {
  try {
    return execFileSync('go', ['version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 30_000 }).trim();
  } catch {
    return undefined;
  }
}

/**
 * Builds the pinned `name` into `dest` (via a temporary file renamed into
 * place, so a concurrent lookup never runs half a binary) and checks that it
 * reports the pinned version. Go's output goes to standard error.
 */
export function buildPinnedTool(name: ToolName, dest: string): void {
  const spec = TOOL_SPECS[name];
  const pin = pinnedToolVersion(name);
  if (!goVersion()) {
    throw new AppError(
      'TOOLCHAIN_MISSING',
      `Go is needed to build ${name} ${pin} and is not installed: install Go ${requiredGoVersion(name)} or later (https://go.dev/dl/), or set ${spec.envVar} to the path of a ${name} binary of version ${pin}`,
    );
  }
  mkdirSync(dirname(dest), { recursive: true });
  const partial = `${dest}.${process.pid}.partial`;
  try {
    execFileSync('go', ['build', '-trimpath', ...spec.buildFlags(pin), '-o', partial, spec.pkg], {
      cwd: toolModuleDir(name),
      stdio: ['ignore', 2, 2],
      env: { ...process.env, ...spec.buildEnv },
    });
    const built = spec.versionOf(partial);
    if (built !== pin) throw new AppError('TOOLCHAIN_FAILED', `the ${name} built from tools/${name} reports version ${built ?? 'unknown'}, expected ${pin}`);
    renameSync(partial, dest);
  } catch (err) {
    rmSync(partial, { force: true });
    if (err instanceof AppError) throw err;
    throw new AppError('TOOLCHAIN_FAILED', `building ${name} ${pin} from tools/${name} failed (${messageOf(err)}); ${setupHint(name)}`, { cause: err });
  }
}
