import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { WasmPolicy } from '../../src/evaluate/index.js';
import { wasmPolicy } from './wasm-build.js';

// The policy answers with the input it was given, and with values it builds
// from it in the heap, so a kept input that a later evaluation overwrote, or
// an evaluation's own fields linked to the wrong kept input, would show.
const rego = `package shared

whole := input

digest := {"count": count(input.items), "joined": concat(",", input.items), "tag": sprintf("%s@%v", [input.name, input.n])}
`;

const sharedOf = (name: string, n: number) => ({ name, items: Array.from({ length: n }, (_, i) => `é€𝄞 ${name} ${i}`), nested: { deep: [{ n }] } });

describe('WasmPolicy.evaluateShared', () => {
  let policy: WasmPolicy;
  before(async () => {
    policy = await wasmPolicy(rego, ['shared/whole', 'shared/digest']);
  });

  const shared = (value: object, own: object, entrypoint = 'shared/whole') =>
    policy.evaluateShared(entrypoint, JSON.stringify(value), JSON.stringify(own), { now: new Date('2026-01-01T00:00:00Z') });

  it('evaluates {...shared, ...own}, the own fields winning, as evaluate does on the joined input', () => {
    const base = sharedOf('a', 3);
    const own = { n: 7, name: 'own name', workloads: [{ name: 'w' }] };
    assert.deepEqual(shared(base, own), { defined: true, result: { ...base, ...own } });
    assert.deepEqual(shared(base, own, 'shared/digest'), policy.evaluate('shared/digest', { ...base, ...own }));
    // The shared part as its UTF-8 bytes: the same input.
    const bytes = new TextEncoder().encode(JSON.stringify(base));
    assert.deepEqual(policy.evaluateShared('shared/whole', bytes, JSON.stringify(own)), { defined: true, result: { ...base, ...own } });
    assert.deepEqual(policy.evaluateShared('shared/whole', bytes, '{}'), { defined: true, result: base });
  });

  it('keeps a kept input intact through plain evaluations of larger inputs', () => {
    const base = sharedOf('kept', 100);
    const first = shared(base, { n: 1 }, 'shared/digest');
    assert.deepEqual(first, policy.evaluate('shared/digest', { ...base, n: 1 }));
    policy.evaluate('shared/digest', { ...sharedOf('plain', 5000), n: 2 });
    assert.deepEqual(shared(base, { n: 1 }, 'shared/digest'), first);
  });

  it('gives every evaluation the input it was given, across kept inputs, plain evaluations between them, and more than the heap keeps', () => {
    // About 40 MiB of kept inputs in all, past the 32 MiB an instance keeps: the first ones are dropped and parsed again.
    const bases = Array.from({ length: 20 }, (_, i) => sharedOf(`image-${i}`, 20_000 + i));
    for (const round of [0, 1]) {
      for (const [i, base] of bases.entries()) {
        const own = { n: round * 100 + i };
        assert.deepEqual(shared(base, own, 'shared/digest'), policy.evaluate('shared/digest', { ...base, ...own }), `round ${round}, input ${i}`);
        assert.deepEqual(policy.evaluate('shared/whole', { name: 'plain', n: i, items: [] }).defined, true);
      }
    }
    assert.deepEqual(shared(bases[0] as object, { n: -1 }), { defined: true, result: { ...bases[0], n: -1 } });
  });

  it('keeps no more than fits beside an evaluation in a small heap, and decides every input', async () => {
    const small = await wasmPolicy(rego, ['shared/digest'], { limits: { maxInputBytes: 8 * 1024 * 1024, maxMemoryBytes: 24 * 1024 * 1024 } });
    for (const round of [0, 1]) {
      for (let i = 0; i < 12; i++) {
        const base = sharedOf(`small-${i}`, 20_000);
        const own = JSON.stringify({ n: round });
        assert.deepEqual(
          small.evaluateShared('shared/digest', JSON.stringify(base), own),
          small.evaluate('shared/digest', { ...base, n: round }),
          `round ${round}, input ${i}`,
        );
      }
    }
  });

  it('refuses parts that are not objects, a lone surrogate in either part, and a whole over the size limit', async () => {
    const evaluate = (s: string, o: string) => () => policy.evaluateShared('shared/whole', s, o);
    assert.throws(evaluate('{}', '[1]'), { code: 'INPUT_INVALID' });
    assert.throws(evaluate('[1]', '{}'), { code: 'INPUT_INVALID' });
    assert.throws(evaluate('{}', JSON.stringify({ name: '\ud800' })), { code: 'INPUT_INVALID', message: /\/name: a string holds a lone UTF-16 surrogate/ });
    assert.throws(evaluate(JSON.stringify({ items: ['ok', '\udc00'] }), '{}'), { code: 'INPUT_INVALID', message: /\/items\/1/ });
    const lone = new TextEncoder().encode(JSON.stringify({ items: ['\ud83d'] }));
    assert.throws(() => policy.evaluateShared('shared/whole', lone, '{}'), { code: 'INPUT_INVALID', message: /\/items\/0/ });
    const small = await wasmPolicy(rego, ['shared/whole'], { limits: { maxInputBytes: 1000, maxMemoryBytes: 64 * 1024 * 1024 } });
    const half = JSON.stringify({ text: 'x'.repeat(600) });
    assert.throws(() => small.evaluateShared('shared/whole', half, JSON.stringify({ more: 'y'.repeat(600) })), { code: 'INPUT_TOO_LARGE' });
    assert.deepEqual(small.evaluateShared('shared/whole', half, '{"n":1}'), { defined: true, result: { text: 'x'.repeat(600), n: 1 } });
    // Refusals leave the instance as it was.
    assert.deepEqual(shared({ a: 1 }, { b: 2 }), { defined: true, result: { a: 1, b: 2 } });
  });
});
