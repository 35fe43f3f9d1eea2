#!/usr/bin/env node
// Regenerates tools/opa/capabilities.json from the pinned opa: OPA's builtins
// restricted to those the Wasm runtime has natively plus those the evaluator
// provides on the host, so a policy that needs anything else fails at build
// time instead of at evaluation time. Run: npm run capabilities:update
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pinnedToolPath } from './go-tool.mjs';

const TOOLS_DIR = fileURLToPath(new URL('../tools/opa/', import.meta.url));

// Unification and assignment, which the Wasm planner compiles itself.
const PLANNER_BUILTINS = ['eq', 'assign'];
// Implemented in JavaScript by @open-policy-agent/opa-wasm itself.
const SDK_BUILTINS = ['sprintf', 'regex.split', 'json.is_valid', 'yaml.is_valid', 'yaml.marshal', 'yaml.unmarshal'];
// Implemented by portcullis's evaluator (src/evaluate/host-builtins.ts).
const HOST_BUILTINS = JSON.parse(readFileSync(new URL('../src/evaluate/host-builtins.json', import.meta.url), 'utf8'));

const moduleDir = execFileSync('go', ['list', '-m', '-f', '{{.Dir}}', 'github.com/open-policy-agent/opa'], { cwd: TOOLS_DIR, encoding: 'utf8' }).trim();
const astNames = builtinNamesByIdentifier(readFileSync(join(moduleDir, 'v1/ast/builtins.go'), 'utf8'));
const native = nativeIdentifiers(readFileSync(join(moduleDir, 'internal/compiler/wasm/wasm.go'), 'utf8')).map((id) => {
  const name = astNames.get(id);
  if (!name) throw new Error(`cannot resolve ast.${id}`);
  return name;
});
const allowed = new Set([...native, ...SDK_BUILTINS, ...HOST_BUILTINS]);
const current = JSON.parse(execFileSync(pinnedToolPath('opa'), ['capabilities', '--current'], { encoding: 'utf8', maxBuffer: 64 << 20 }));
current.builtins = current.builtins.filter((b) => allowed.has(b.name) || PLANNER_BUILTINS.includes(b.name));
const missing = [...allowed].filter((n) => !current.builtins.some((b) => b.name === n));
if (missing.length > 0) throw new Error(`builtins not known to opa: ${missing.join(', ')}`);
writeFileSync(join(TOOLS_DIR, 'capabilities.json'), JSON.stringify(current, null, 2) + '\n');
console.log(`wrote ${current.builtins.length} builtins (${native.length} native, ${SDK_BUILTINS.length} sdk, ${HOST_BUILTINS.length} host)`);

function builtinNamesByIdentifier(source) {
  const out = new Map();
  for (const m of source.matchAll(/^var (\w+) = &Builtin\{\s*Name:\s*"([^"]+)"/gm)) out.set(m[1], m[2]);
  return out;
}

function nativeIdentifiers(source) {
  const start = source.indexOf('var builtinsFunctions = map[string]string{');
  const body = source.slice(start, source.indexOf('\n}', start));
  return [...body.matchAll(/ast\.(\w+)\.Name:/g)].map((m) => m[1]);
}
