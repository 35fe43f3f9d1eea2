// Where the pinned opa lives and how to ask a binary for its version; shared
// by the setup and generator scripts (the product resolves opa in src/compile).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

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
  const pin = pinnedVersion();
  for (const candidate of [process.env.OPA_BIN, LOCAL_OPA, 'opa']) {
    if (candidate && (candidate === 'opa' || existsSync(candidate)) && versionOf(candidate) === pin) return candidate;
  }
  throw new Error(`no opa ${pin} found; run npm run setup:opa`);
}
