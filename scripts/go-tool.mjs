// Find-or-build for the Go tools the project pins (opa, gator, Regal): the
// binary named by the tool's environment variable or on PATH when its version
// matches the pin, else the project build in .tools/bin, else a build from the
// tool's Go module under tools/ (go.mod and go.sum pin the release and its
// checksums). Never a download of a prebuilt binary.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/** The first candidate whose version equals the pin, described for the install log; warns about mismatches. */
function findPinned(spec) {
  for (const [label, bin] of [
    [spec.envVar, process.env[spec.envVar]],
    ['PATH', spec.name],
    ['project', spec.local],
  ]) {
    if (!bin) continue;
    const version = spec.versionOf(bin);
    if (version === spec.pin) return `${bin} (${label}, ${version})`;
    if (version && label !== 'project') console.warn(`portcullis: ignoring ${bin} from ${label}: version ${version}, pinned ${spec.pin}`);
  }
  return undefined;
}

/** The pinned binary for tests and scripts: $<envVar>, the project build, or one on PATH, whichever matches the pin first. */
export function pinnedBinary({ name, envVar, local, pin, versionOf, setupScript }) {
  for (const candidate of [process.env[envVar], local, name]) {
    if (candidate && (candidate === name || existsSync(candidate)) && versionOf(candidate) === pin) return candidate;
  }
  throw new Error(`no ${name} ${pin} found; run npm run ${setupScript}`);
}

function haveGo() {
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds or builds the pinned tool and returns the exit code for the install.
 * Without Go it says loudly what is missing and exits 0, so `npm install`
 * still completes; the commands or tests that need the tool then fail naming
 * the fix. A failed build fails the install only for a `required` tool.
 */
export function setupGoTool(spec) {
  const existing = findPinned(spec);
  if (existing) {
    console.log(`portcullis: using ${spec.name} ${existing}`);
    return 0;
  }
  if (!haveGo()) {
    console.error(`portcullis: ${spec.name} ${spec.pin} is not installed and Go is not available to build it.\n  ${spec.missingHint}`);
    return 0;
  }
  console.log(`portcullis: building ${spec.name} ${spec.pin} from ${spec.toolsLabel} (first time only, ${spec.duration})...`);
  mkdirSync(dirname(spec.local), { recursive: true });
  const started = Date.now();
  try {
    execFileSync('go', ['build', '-trimpath', ...spec.buildFlags, '-o', spec.local, spec.pkg], {
      cwd: spec.toolsDir,
      stdio: 'inherit',
      env: { ...process.env, ...spec.env },
    });
  } catch (err) {
    console.error(`portcullis: building ${spec.name} ${spec.pin} failed (${err.message}). ${spec.missingHint}`);
    return spec.required ? 1 : 0;
  }
  const built = spec.versionOf(spec.local);
  if (built !== spec.pin) {
    console.error(`portcullis: built ${spec.name} reports version ${built ?? 'unknown'}, expected ${spec.pin}`);
    return 1;
  }
  console.log(`portcullis: ${spec.name} ${spec.pin} ready at ${spec.local} (${Math.round((Date.now() - started) / 1000)} s)`);
  return 0;
}
