// Where the pinned opa lives and how to ask a binary for its version; shared
// by the setup and generator scripts, benchmarks and tests (the product
// resolves opa in src/compile).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pinnedBinary } from './go-tool.mjs';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const TOOLS_DIR = fileURLToPath(new URL('../tools/opa/', import.meta.url));
export const LOCAL_OPA = fileURLToPath(new URL('../.tools/bin/opa', import.meta.url));

export function pinnedVersion() {
  const m = /github\.com\/open-policy-agent\/opa v(\S+)/.exec(readFileSync(`${TOOLS_DIR}/go.mod`, 'utf8'));
  if (!m) throw new Error('tools/opa/go.mod does not require github.com/open-policy-agent/opa');
  return m[1];
}

export function versionOf(bin) {
  try {
    const out = execFileSync(bin, ['version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return /^Version: (\S+)/m.exec(out)?.[1];
  } catch {
    return undefined;
  }
}

export function opaPath() {
  return pinnedBinary({ name: 'opa', envVar: 'OPA_BIN', local: LOCAL_OPA, pin: pinnedVersion(), versionOf, setupScript: 'setup:opa' });
}
