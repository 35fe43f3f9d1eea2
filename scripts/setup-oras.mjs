#!/usr/bin/env node
// Makes the pinned oras CLI available for bench/oci.mjs (the peer portcullis'
// push and pull are measured against): ORAS_BIN or an oras on PATH when its
// version matches the pin, otherwise a build from tools/oras (go.mod/go.sum
// pin the release and its checksums) into .tools/bin/oras. Only the benchmark
// needs it, so npm install does not build it; the benchmark does, when missing.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { pinnedBinary, setupGoTool } from './go-tool.mjs';

export const ORAS_TOOLS_DIR = fileURLToPath(new URL('../tools/oras/', import.meta.url));
export const LOCAL_ORAS = fileURLToPath(new URL('../.tools/bin/oras', import.meta.url));

/** The oras release go.mod requires, without the v: "1.3.6", as `oras version` prints it. */
export function pinnedOrasVersion() {
  const m = /^require oras\.land\/oras v(\S+)$/m.exec(readFileSync(`${ORAS_TOOLS_DIR}/go.mod`, 'utf8'));
  if (!m) throw new Error('tools/oras/go.mod does not require oras.land/oras');
  return m[1];
}

export function orasVersionOf(bin) {
  try {
    const out = execFileSync(bin, ['version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
    return /^Version:\s+(\S+)/m.exec(out)?.[1];
  } catch {
    return undefined;
  }
}

const spec = () => ({
  name: 'oras',
  envVar: 'ORAS_BIN',
  local: LOCAL_ORAS,
  pin: pinnedOrasVersion(),
  versionOf: orasVersionOf,
  setupScript: 'setup:oras',
});

/** The pinned oras: $ORAS_BIN, the project build, or one on PATH, whichever matches the pin first. */
export function orasPath() {
  return pinnedBinary(spec());
}

/** Finds or builds the pinned oras; 1 when it cannot be had. */
export function setupOras() {
  const s = spec();
  return setupGoTool({
    ...s,
    toolsDir: ORAS_TOOLS_DIR,
    toolsLabel: 'tools/oras',
    pkg: 'oras.land/oras/cmd/oras',
    buildFlags: [],
    duration: 'about a minute',
    required: true,
    missingHint: `bench:oci needs it: install Go 1.26+ and run "npm run setup:oras", or set ORAS_BIN to an oras ${s.pin} binary.`,
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = setupOras();
