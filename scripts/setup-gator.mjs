#!/usr/bin/env node
// Makes the pinned gator (Gatekeeper's policy test CLI) available: GATOR_BIN
// or a gator on PATH when its version matches the pin, otherwise a build from
// tools/gator (go.mod/go.sum pin the Gatekeeper release and its checksums)
// into .tools/bin/gator. The tests verify the generated ConstraintTemplates
// with it. A cold build downloads the Kubernetes modules and takes a few
// minutes; later builds reuse Go's caches. The tests import gatorPath() from
// this file; the setup runs only when the file is executed.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const GATOR_TOOLS_DIR = fileURLToPath(new URL('../tools/gator/', import.meta.url));
export const LOCAL_GATOR = fileURLToPath(new URL('../.tools/bin/gator', import.meta.url));
export const GATOR_PACKAGE = 'github.com/open-policy-agent/gatekeeper/v3/cmd/gator';

/** The Gatekeeper release go.mod requires, e.g. "v3.23.1". */
export function pinnedGatorVersion() {
  const m = /github\.com\/open-policy-agent\/gatekeeper\/v3 (v\S+)/.exec(readFileSync(`${GATOR_TOOLS_DIR}/go.mod`, 'utf8'));
  if (!m) throw new Error('tools/gator/go.mod does not require github.com/open-policy-agent/gatekeeper/v3');
  return m[1];
}

/**
 * A binary's module version, read from its embedded build info with
 * `go version -m` when Go is present, else from `gator --version`: release
 * binaries print the tag, builds from the module print "(devel)" there.
 */
export function gatorVersionOf(bin) {
  const fromBuildInfo = tryRun('go', ['version', '-m', bin]);
  const mod = fromBuildInfo && /^\s+mod\s+github\.com\/open-policy-agent\/gatekeeper\/v3\s+(v\S+)/m.exec(fromBuildInfo);
  if (mod) return mod[1];
  const dep = fromBuildInfo && /^\s+dep\s+github\.com\/open-policy-agent\/gatekeeper\/v3\s+(v\S+)/m.exec(fromBuildInfo);
  if (dep) return dep[1];
  const printed = tryRun(bin, ['--version']);
  return (printed && /\bv\d+\.\d+\.\d+\S*/.exec(printed)?.[0]) || undefined;
}

function tryRun(command, args) {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return undefined;
  }
}

/** The pinned gator: $GATOR_BIN, the project build, or one on PATH, whichever matches the pin first. */
export function gatorPath() {
  const pin = pinnedGatorVersion();
  for (const candidate of [process.env.GATOR_BIN, LOCAL_GATOR, 'gator']) {
    if (candidate && (candidate === 'gator' || existsSync(candidate)) && gatorVersionOf(candidate) === pin) return candidate;
  }
  throw new Error(`no gator ${pin} found; run npm run setup:gator`);
}

function found(pin) {
  for (const [label, bin] of [['GATOR_BIN', process.env.GATOR_BIN], ['PATH', 'gator'], ['project', LOCAL_GATOR]]) {
    if (!bin) continue;
    const version = gatorVersionOf(bin);
    if (version === pin) return `${bin} (${label}, ${version})`;
    if (version && label !== 'project') console.warn(`portcullis: ignoring ${bin} from ${label}: version ${version}, pinned ${pin}`);
  }
  return undefined;
}

/** Finds or builds the pinned gator; never fails the install, but says loudly what is missing. */
function setup() {
  const pin = pinnedGatorVersion();
  const existing = found(pin);
  if (existing) {
    console.log(`portcullis: using gator ${existing}`);
    return 0;
  }
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
  } catch {
    console.error(
      `portcullis: gator ${pin} is not installed and Go is not available to build it.\n` +
        `  The Gatekeeper tests need it. Install Go 1.26+ and run "npm run setup:gator",\n` +
        `  or set GATOR_BIN to a gator ${pin} binary.`,
    );
    return 0;
  }
  console.log(`portcullis: building gator ${pin} from tools/gator (first time only, a few minutes)...`);
  mkdirSync(dirname(LOCAL_GATOR), { recursive: true });
  const started = Date.now();
  // The version is stamped the way Gatekeeper's release builds do, so that
  // `gator --version` names the pin even where Go is not installed.
  const ldflags = `-X github.com/open-policy-agent/gatekeeper/v3/pkg/version.Version=${pin}`;
  try {
    execFileSync('go', ['build', '-trimpath', '-ldflags', ldflags, '-o', LOCAL_GATOR, GATOR_PACKAGE], { cwd: GATOR_TOOLS_DIR, stdio: 'inherit' });
  } catch (err) {
    console.error(`portcullis: building gator ${pin} failed (${err.message}); the Gatekeeper tests will fail until GATOR_BIN names a gator ${pin}.`);
    return 0;
  }
  const built = gatorVersionOf(LOCAL_GATOR);
  if (built !== pin) {
    console.error(`portcullis: built gator reports version ${built ?? 'unknown'}, expected ${pin}`);
    return 1;
  }
  console.log(`portcullis: gator ${pin} ready at ${LOCAL_GATOR} (${Math.round((Date.now() - started) / 1000)} s)`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = setup();
