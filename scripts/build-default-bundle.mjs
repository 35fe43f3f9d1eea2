#!/usr/bin/env node
// Builds the image-scan bundle the package ships (dist/bundles/image-scan.tar.gz,
// listed in package.json "files") from bundles/image-scan.yaml with the pinned
// opa, through the CLI exactly as `portcullis build` does, so `check` works in
// any project without opa or Go. Run by `prepare`, which npm also runs when
// packing: then (npm pack, npm publish) the bundle is compiled afresh, with an
// empty build cache, and one that cannot be built fails the pack, so no
// package ships without it or with a stale one; on `npm install` in a checkout
// the build cache is used and a failure only warns.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = 'dist/bundles';
const BUNDLE = `${OUT}/image-scan.tar.gz`;
const packing = ['pack', 'publish'].includes(process.env.npm_command ?? '');

const state = packing ? mkdtempSync(join(tmpdir(), 'portcullis-pack-')) : undefined;
const env = state ? { ...process.env, PORTCULLIS_STATE_DIR: state } : process.env;
const run = spawnSync(process.execPath, ['bin/portcullis.js', 'build', '--bundles', 'bundles', '--out', OUT], { cwd: ROOT, env, stdio: 'inherit' });
if (state) rmSync(state, { recursive: true, force: true });
if (run.status === 0 && existsSync(`${ROOT}/${BUNDLE}`)) {
  console.log(`portcullis: built ${BUNDLE} from bundles/image-scan.yaml`);
} else if (packing) {
  console.error(`portcullis: ERROR: cannot build ${BUNDLE}, which the package must ship (see above); the pack is stopped.`);
  process.exitCode = 1;
} else {
  console.error(`portcullis: WARNING: ${BUNDLE} was not built (see above); check needs --bundle or --policies here until "npx portcullis build" runs.`);
}
