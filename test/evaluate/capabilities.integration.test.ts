import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { capabilitiesPath } from '../../src/compile/index.js';
import { AppError } from '../../src/core/index.js';
import { HOST_BUILTIN_NAMES, SDK_BUILTIN_NAMES } from '../../src/evaluate/index.js';
import { REPO } from '../helpers/processes.js';
import { opaModuleDir } from './opa-cases.js';
import { wasmPolicy } from './wasm-build.js';

// tools/opa/capabilities.json decides what policies may call; every builtin it
// allows must be compiled into the Wasm module or implemented by the SDK or by
// portcullis, or a policy would compile and then fail at evaluation time.
describe('capabilities and host builtins', () => {
  const allowed: string[] = (JSON.parse(readFileSync(capabilitiesPath(), 'utf8')) as { builtins: { name: string }[] }).builtins.map((b) => b.name);
  const sdk = sdkBuiltins();

  it('host-builtins.json, read by scripts/gen-capabilities.mjs, lists exactly the implemented host builtins', () => {
    const listed = JSON.parse(readFileSync(join(REPO, 'src/evaluate/host-builtins.json'), 'utf8')) as string[];
    assert.deepEqual([...listed].sort(), [...HOST_BUILTIN_NAMES]);
  });

  it('allows every host builtin (npm run capabilities:update after changing them)', () => {
    for (const name of HOST_BUILTIN_NAMES) assert.ok(allowed.includes(name), `${name} is not in tools/opa/capabilities.json`);
  });

  it('allows nothing that is neither native to OPA’s Wasm runtime nor implemented by the SDK or the host', () => {
    const native = nativeWasmBuiltins();
    const planner = ['eq', 'assign'];
    const unimplemented = allowed.filter((n) => !native.has(n) && !sdk.includes(n) && !HOST_BUILTIN_NAMES.includes(n) && !planner.includes(n));
    assert.deepEqual(unimplemented, []);
    assert.ok(native.size > 50 && sdk.includes('sprintf'));
  });

  it('knows which builtins the SDK implements', () => {
    assert.deepEqual([...SDK_BUILTIN_NAMES], [...sdk].sort());
  });

  it('rejects at load time a module that calls a builtin nobody implements', async () => {
    const rego = 'package t\n\np := [time.parse_ns("2006-01-02", input.d), time.now_ns(), sprintf("%d", [1])]\n';
    await assert.rejects(wasmPolicy(rego, ['t/p'], { capabilities: false }), (e: unknown) => {
      return e instanceof AppError && e.code === 'BUNDLE_INVALID' && /not available: time\.parse_ns \(/.test(e.message);
    });
  });
});

/** Names of the builtins @open-policy-agent/opa-wasm implements in JS (its src/builtins, not exported). */
function sdkBuiltins(): string[] {
  const require = createRequire(import.meta.url);
  const entry = require.resolve('@open-policy-agent/opa-wasm');
  return Object.keys(require(join(dirname(entry), 'builtins/index.js')) as Record<string, unknown>);
}

/** Names of the builtins OPA's Wasm compiler maps to its C runtime (internal/compiler/wasm/wasm.go). */
function nativeWasmBuiltins(): Set<string> {
  const dir = opaModuleDir();
  const ast = readFileSync(join(dir, 'v1/ast/builtins.go'), 'utf8');
  const names = new Map([...ast.matchAll(/^var (\w+) = &Builtin\{\s*Name:\s*"([^"]+)"/gm)].map((m) => [m[1]!, m[2]!]));
  const wasm = readFileSync(join(dir, 'internal/compiler/wasm/wasm.go'), 'utf8');
  const start = wasm.indexOf('var builtinsFunctions = map[string]string{');
  const table = wasm.slice(start, wasm.indexOf('\n}', start));
  return new Set([...table.matchAll(/ast\.(\w+)\.Name:/g)].map((m) => names.get(m[1]!) ?? `unresolved ast.${m[1]}`));
}
