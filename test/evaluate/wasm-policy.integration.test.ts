import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { WasmPolicy } from '../../src/evaluate/index.js';
import { wasmPolicy } from './wasm-build.js';

describe('WasmPolicy input and result passing', () => {
  const rego = `package echo

summary := {"count": count(input.items), "last": input.items[count(input.items) - 1], "text": input.text}

has_input if input
`;
  let policy: WasmPolicy;
  before(async () => {
    policy = await wasmPolicy(rego, ['echo/summary', 'echo/has_input']);
  });

  // Multi-byte characters make the UTF-8 length differ from the string length.
  const inputOf = (n: number) => ({ items: Array.from({ length: n }, (_, i) => `é€𝄞 item ${i}`), text: 'naïve “quoted” \u0000 text' });

  it('passes inputs larger than the module memory, and smaller ones after them', () => {
    // About 2 MiB of JSON, beyond the 5 pages (320 KiB) the module starts with.
    for (const n of [100_000, 3, 50_000]) {
      const input = inputOf(n);
      assert.deepEqual(policy.evaluate('echo/summary', input), { defined: true, result: { count: n, last: input.items[n - 1], text: input.text } });
    }
  });

  it('evaluates without input when given none', () => {
    assert.deepEqual(policy.evaluate('echo/has_input', undefined), { defined: false });
    assert.deepEqual(policy.evaluate('echo/has_input', { any: 1 }), { defined: true, result: true });
  });
});
