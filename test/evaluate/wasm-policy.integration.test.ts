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

  it('evaluates a prepared input as the input itself, in as many evaluations as asked', () => {
    const input = inputOf(1000);
    const prepared = policy.prepare(input);
    const expected = policy.evaluate('echo/summary', input);
    assert.deepEqual(policy.evaluate('echo/summary', prepared), expected);
    assert.deepEqual(policy.evaluate('echo/summary', prepared), expected);
    assert.deepEqual(policy.evaluate('echo/has_input', policy.prepare(false)), { defined: false });
  });

  it('refuses a prepared input over the size limit of the instance evaluating it, and a lone surrogate when preparing', async () => {
    const small = await wasmPolicy(rego, ['echo/summary'], { limits: { maxInputBytes: 1000, maxMemoryBytes: 64 * 1024 * 1024 } });
    assert.throws(() => small.evaluate('echo/summary', policy.prepare(inputOf(100))), { code: 'INPUT_TOO_LARGE' });
    assert.throws(() => policy.prepare({ items: ['\ud800'], text: '' }), { code: 'INPUT_INVALID' });
  });

  it('evaluates an input given as JSON text as the same input given as a value', () => {
    const input = inputOf(1000);
    assert.deepEqual(policy.evaluate('echo/summary', policy.prepareText(JSON.stringify(input))), policy.evaluate('echo/summary', input));
    assert.deepEqual(policy.evaluate('echo/has_input', policy.prepareText('{}')), { defined: true, result: true });
  });

  it('refuses JSON text over the size limit, and one with a lone surrogate naming where it is', async () => {
    const small = await wasmPolicy(rego, ['echo/summary'], { limits: { maxInputBytes: 1000, maxMemoryBytes: 64 * 1024 * 1024 } });
    assert.throws(() => small.prepareText(JSON.stringify(inputOf(100))), { code: 'INPUT_TOO_LARGE' });
    assert.throws(
      () => policy.prepareText(JSON.stringify({ items: ['ok', '\ud800'], text: '' })),
      (err: { code?: string; details?: { path: string }[] }) => {
        assert.equal(err.code, 'INPUT_INVALID');
        assert.equal(err.details?.[0]?.path, '/items/1');
        return true;
      },
    );
  });
});
