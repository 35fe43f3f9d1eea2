#!/usr/bin/env node
// Makes the pinned Regal (the Rego linter `portcullis review` runs on policy
// changes) available: REGAL_BIN or a regal on PATH when its version matches
// the pin, otherwise a build from tools/regal (go.mod/go.sum pin the release
// and its checksums) into .tools/bin/regal. Without it, review still runs and
// reports lint as unavailable. The version is stamped the way Regal's release
// builds do, so `regal version` names the pin.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setupGoTool } from './go-tool.mjs';

export const REGAL_TOOLS_DIR = fileURLToPath(new URL('../tools/regal/', import.meta.url));
export const LOCAL_REGAL = fileURLToPath(new URL('../.tools/bin/regal', import.meta.url));
const MODULE = 'github.com/open-policy-agent/regal';

/** The Regal release go.mod requires, e.g. "v0.38.1". */
export function pinnedRegalVersion() {
  const m = /github\.com\/open-policy-agent\/regal (v\S+)/.exec(readFileSync(`${REGAL_TOOLS_DIR}/go.mod`, 'utf8'));
  if (!m) throw new Error('tools/regal/go.mod does not require github.com/open-policy-agent/regal');
  return m[1];
}

/** The version `regal version` prints, or undefined when the binary cannot run. */
export function regalVersionOf(bin) {
  try {
    const out = execFileSync(bin, ['version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
    return /^Version:\s+(\S+)/m.exec(out)?.[1];
  } catch {
    return undefined;
  }
}

/** Finds or builds the pinned Regal; never fails the install, but says loudly what is missing. */
function setup() {
  const pin = pinnedRegalVersion();
  return setupGoTool({
    name: 'regal',
    envVar: 'REGAL_BIN',
    pin,
    local: LOCAL_REGAL,
    toolsDir: REGAL_TOOLS_DIR,
    toolsLabel: 'tools/regal',
    pkg: MODULE,
    buildFlags: ['-ldflags', `-X ${MODULE}/pkg/version.Version=${pin}`],
    versionOf: regalVersionOf,
    duration: 'about two minutes',
    required: false,
    missingHint: `portcullis review reports lint as unavailable without it: install Go 1.26+ and run "npm run setup:regal", or set REGAL_BIN to a regal ${pin} binary.`,
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = setup();
