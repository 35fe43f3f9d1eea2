#!/usr/bin/env node
// Makes the pinned opa available: OPA_BIN or an opa on PATH when its version
// matches the pin, otherwise a build from tools/opa (go.mod/go.sum pin the
// release and its checksums) into .tools/bin/opa. The opa_wasm tag gives the
// agent its Wasm runtime, which portcullis bundles need.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { LOCAL_OPA, TOOLS_DIR, pinnedVersion, versionOf } from './opa-path.mjs';

const pin = pinnedVersion();

function found() {
  for (const [label, bin] of [['OPA_BIN', process.env.OPA_BIN], ['PATH', 'opa'], ['project', LOCAL_OPA]]) {
    if (!bin) continue;
    const version = versionOf(bin);
    if (version === pin) return `${bin} (${label}, ${version})`;
    if (version && label !== 'project') console.warn(`portcullis: ignoring ${bin} from ${label}: version ${version}, pinned ${pin}`);
  }
  return undefined;
}

const existing = found();
if (existing) {
  console.log(`portcullis: using opa ${existing}`);
  process.exit(0);
}
try {
  execFileSync('go', ['version'], { stdio: 'ignore' });
} catch {
  console.error(
    `portcullis: opa ${pin} is not installed and Go is not available to build it.\n` +
      `  Install Go 1.24+ and run "npm run setup:opa", or set OPA_BIN to an opa ${pin} binary.`,
  );
  process.exit(0);
}
console.log(`portcullis: building opa ${pin} from tools/opa (first time only, about a minute)...`);
mkdirSync(dirname(LOCAL_OPA), { recursive: true });
execFileSync('go', ['build', '-trimpath', '-tags', 'opa_wasm', '-o', LOCAL_OPA, 'github.com/open-policy-agent/opa'], {
  cwd: TOOLS_DIR,
  stdio: 'inherit',
});
const built = versionOf(LOCAL_OPA);
if (built !== pin) {
  console.error(`portcullis: built opa reports version ${built ?? 'unknown'}, expected ${pin}`);
  process.exit(1);
}
console.log(`portcullis: opa ${pin} ready at ${LOCAL_OPA}`);
