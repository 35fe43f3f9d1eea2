import { packBundle } from '../../src/bundle/index.js';

/** A small valid bundle without Wasm, built in memory (no opa needed). */
export function tinyBundle(revision: string, roots: readonly string[] = ['tiny'], value: unknown = revision): Uint8Array {
  const root = roots[0] ?? 'tiny';
  return packBundle({
    manifest: { revision, roots, rego_version: 1 },
    data: { [root]: { value } } as never,
    modules: [{ path: `/${root}/policy.rego`, bytes: new TextEncoder().encode(`package ${root.replaceAll('/', '.')}\n\nallow := true\n`) }],
    maxFileBytes: 1024 * 1024,
  });
}
