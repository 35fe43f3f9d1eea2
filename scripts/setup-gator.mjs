#!/usr/bin/env node
// Makes the pinned gator (Gatekeeper's policy test CLI) available: GATOR_BIN
// or a gator on PATH when its version matches the pin, otherwise a build from
// tools/gator (go.mod/go.sum pin the Gatekeeper release and its checksums)
// into .tools/bin/gator. The tests verify the generated ConstraintTemplates
// with it. A cold build downloads the Kubernetes modules and takes a few
// minutes; later builds reuse Go's caches. The tests import gatorPath() from
// this file; the setup runs only when the file is executed.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { pinnedBinary, setupGoTool } from './go-tool.mjs';

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
  return pinnedBinary({
    name: 'gator',
    envVar: 'GATOR_BIN',
    local: LOCAL_GATOR,
    pin: pinnedGatorVersion(),
    versionOf: gatorVersionOf,
    setupScript: 'setup:gator',
  });
}

/** Finds or builds the pinned gator; never fails the install, but says loudly what is missing. */
function setup() {
  const pin = pinnedGatorVersion();
  return setupGoTool({
    name: 'gator',
    envVar: 'GATOR_BIN',
    pin,
    local: LOCAL_GATOR,
    toolsDir: GATOR_TOOLS_DIR,
    toolsLabel: 'tools/gator',
    pkg: GATOR_PACKAGE,
    // Stamped the way Gatekeeper's release builds do, so `gator --version` names the pin even without Go.
    buildFlags: ['-ldflags', `-X github.com/open-policy-agent/gatekeeper/v3/pkg/version.Version=${pin}`],
    versionOf: gatorVersionOf,
    duration: 'a few minutes',
    required: false,
    missingHint: `The Gatekeeper tests need it: install Go 1.26+ and run "npm run setup:gator", or set GATOR_BIN to a gator ${pin} binary.`,
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = setup();
