#!/usr/bin/env node
// Makes the pinned Helm (v4) available: HELM_BIN or a helm on PATH when its
// version matches the pin, otherwise a build from tools/helm (go.mod/go.sum
// pin the release and its checksums) into .tools/bin/helm. The tests lint and
// render the chart in deploy/helm/portcullis with it. The version is stamped
// the way Helm's release builds do, so `helm version` names the pin. The
// tests import helmPath() from this file; the setup runs only when the file is
// executed.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { pinnedBinary, setupGoTool } from './go-tool.mjs';

export const HELM_TOOLS_DIR = fileURLToPath(new URL('../tools/helm/', import.meta.url));
export const LOCAL_HELM = fileURLToPath(new URL('../.tools/bin/helm', import.meta.url));
const MODULE = 'helm.sh/helm/v4';

/** The Helm release go.mod requires, e.g. "v4.3.2". */
export function pinnedHelmVersion() {
  const m = /helm\.sh\/helm\/v4 (v\S+)/.exec(readFileSync(`${HELM_TOOLS_DIR}/go.mod`, 'utf8'));
  if (!m) throw new Error('tools/helm/go.mod does not require helm.sh/helm/v4');
  return m[1];
}

/** The version `helm version` prints, or undefined when the binary cannot run. */
export function helmVersionOf(bin) {
  try {
    return (
      execFileSync(bin, ['version', '--template', '{{.Version}}'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).trim() ||
      undefined
    );
  } catch {
    return undefined;
  }
}

/** The pinned helm: $HELM_BIN, the project build, or one on PATH, whichever matches the pin first. */
export function helmPath() {
  return pinnedBinary({ name: 'helm', envVar: 'HELM_BIN', local: LOCAL_HELM, pin: pinnedHelmVersion(), versionOf: helmVersionOf, setupScript: 'setup:helm' });
}

/** Finds or builds the pinned Helm; never fails the install, but says loudly what is missing. */
function setup() {
  const pin = pinnedHelmVersion();
  return setupGoTool({
    name: 'helm',
    envVar: 'HELM_BIN',
    pin,
    local: LOCAL_HELM,
    toolsDir: HELM_TOOLS_DIR,
    toolsLabel: 'tools/helm',
    pkg: `${MODULE}/cmd/helm`,
    buildFlags: ['-ldflags', `-X ${MODULE}/internal/version.version=${pin}`],
    versionOf: helmVersionOf,
    duration: 'a few minutes',
    required: false,
    missingHint: `The Helm chart tests need it: install Go 1.26+ and run "npm run setup:helm", or set HELM_BIN to a helm ${pin} binary.`,
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = setup();
