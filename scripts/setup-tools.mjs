#!/usr/bin/env node
// Run by `npm install` in a checkout (prepare): makes the pinned tools
// available, building each missing one from its Go module into .tools/bin
// (see go-tool.mjs). opa is required: a failed build fails the install. gator
// (the Gatekeeper tests) and Regal (review's lint) are optional.
// Usage: node scripts/setup-tools.mjs [opa] [gator] [regal] [helm] [oras]
import { setupProjectTool } from './go-tool.mjs';

const names = process.argv.slice(2);
let code = 0;
for (const name of names.length > 0 ? names : ['opa', 'gator', 'regal']) {
  code = Math.max(code, setupProjectTool(name, { required: name === 'opa' }));
}
process.exitCode = code;
