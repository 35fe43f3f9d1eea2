#!/usr/bin/env node
// Run by `npm install` in a checkout (prepare): makes the pinned tools
// available, building each missing one from its Go module into .tools/bin
// (see go-tool.mjs). opa and Regal are required: a failed build fails the
// install, since the tests compile with opa and lint the policy library with
// Regal (CI gets both this way, through npm install). gator (the Gatekeeper
// tests), helm and oras are optional.
// Usage: node scripts/setup-tools.mjs [opa] [gator] [regal] [helm] [oras]
import { setupProjectTool } from './go-tool.mjs';

const names = process.argv.slice(2);
let code = 0;
for (const name of names.length > 0 ? names : ['opa', 'gator', 'regal']) {
  code = Math.max(code, setupProjectTool(name, { required: name === 'opa' || name === 'regal' }));
}
process.exitCode = code;
