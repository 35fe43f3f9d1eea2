#!/usr/bin/env node
// Makes the pinned Regal (the Rego linter `portcullis review` runs on policy
// changes) available: REGAL_BIN or a regal on PATH when its version matches
// the pin, otherwise a build from tools/regal (go.mod/go.sum pin the release
// and its checksums) into .tools/bin/regal. Without it, review still runs and
// reports lint as unavailable. The version is stamped the way Regal's release
// builds do, so `regal version` names the pin.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

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

function found(pin) {
  for (const [label, bin] of [['REGAL_BIN', process.env.REGAL_BIN], ['PATH', 'regal'], ['project', LOCAL_REGAL]]) {
    if (!bin) continue;
    const version = regalVersionOf(bin);
    if (version === pin) return `${bin} (${label}, ${version})`;
    if (version && label !== 'project') console.warn(`portcullis: ignoring ${bin} from ${label}: version ${version}, pinned ${pin}`);
  }
  return undefined;
}

/** Finds or builds the pinned Regal; never fails the install, but says loudly what is missing. */
function setup() {
  const pin = pinnedRegalVersion();
  const existing = found(pin);
  if (existing) {
    console.log(`portcullis: using regal ${existing}`);
    return 0;
  }
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
  } catch {
    console.error(
      `portcullis: regal ${pin} is not installed and Go is not available to build it.\n` +
        `  portcullis review will report lint as unavailable. Install Go 1.26+ and run\n` +
        `  "npm run setup:regal", or set REGAL_BIN to a regal ${pin} binary.`,
    );
    return 0;
  }
  console.log(`portcullis: building regal ${pin} from tools/regal (first time only, about two minutes)...`);
  mkdirSync(dirname(LOCAL_REGAL), { recursive: true });
  const ldflags = `-X ${MODULE}/pkg/version.Version=${pin}`;
  try {
    execFileSync('go', ['build', '-trimpath', '-ldflags', ldflags, '-o', LOCAL_REGAL, MODULE], { cwd: REGAL_TOOLS_DIR, stdio: 'inherit' });
  } catch (err) {
    console.error(`portcullis: building regal ${pin} failed (${err.message}); portcullis review will report lint as unavailable.`);
    return 0;
  }
  const built = regalVersionOf(LOCAL_REGAL);
  if (built !== pin) {
    console.error(`portcullis: built regal reports version ${built ?? 'unknown'}, expected ${pin}`);
    return 1;
  }
  console.log(`portcullis: regal ${pin} ready at ${LOCAL_REGAL}`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = setup();
