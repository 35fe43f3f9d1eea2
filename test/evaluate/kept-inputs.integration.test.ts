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

summary := {"name": input.name, "count": count(input.items), "n": input.n, "sees_workloads": object.get(input, "workloads", null)}

nothing := 1 if input.missing
`;

const sharedOf = (name: string, n: number) => ({ name, items: Array.from({ length: n }, (_, i) => `é€𝄞 ${name} ${i}`), nested: { deep: [{ n }] } });

describe('WasmPolicy.evaluateShared', () => {
  let policy: WasmPolicy;
  before(async () => {
    policy = await wasmPolicy(rego, ['shared/whole', 'shared/digest', 'shared/summary', 'shared/nothing']);
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

  const summaryOf = (n: number) => ({ name: 'summary', entrypoint: 'shared/summary', own: JSON.stringify({ n }) });

  it('adds a derived field: its entrypoint on the shared part and the derived own fields alone, kept per both', () => {
    const base = sharedOf('derived', 3);
    for (const round of [0, 1]) {
      for (const n of [1, 2]) {
        const own = { n: 100 + n, workloads: [{ name: 'w' }] };
        const result = policy.evaluateShared('shared/whole', JSON.stringify(base), JSON.stringify(own), { derived: summaryOf(n) });
        const summary = { name: 'derived', count: 3, n, sees_workloads: null };
        assert.deepEqual(result, { defined: true, result: { ...base, ...own, summary } }, `round ${round}, n ${n}`);
      }
    }
  });

  it('leaves a derived field out when its entrypoint is undefined', () => {
    const derived = { name: 'nothing', entrypoint: 'shared/nothing', own: '{}' };
    for (const round of [0, 1]) {
      assert.deepEqual(policy.evaluateShared('shared/whole', '{"a":1}', '{"b":2}', { derived }), { defined: true, result: { a: 1, b: 2 } }, `round ${round}`);
    }
  });

  it('gives every evaluation its own derived field across more inputs than the heap keeps', () => {
    const bases = Array.from({ length: 20 }, (_, i) => sharedOf(`derived-${i}`, 20_000 + i));
    for (const round of [0, 1]) {
      for (const [i, base] of bases.entries()) {
        const result = policy.evaluateShared('shared/digest', JSON.stringify(base), JSON.stringify({ n: i }), { derived: summaryOf(round) });
        assert.deepEqual(result, policy.evaluate('shared/digest', { ...base, n: i }), `round ${round}, input ${i}`);
        const whole = policy.evaluateShared('shared/whole', JSON.stringify(base), '{}', { derived: summaryOf(round) });
        assert.deepEqual((whole as { result: { summary: unknown } }).result.summary, {
          name: `derived-${i}`,
          count: 20_000 + i,
          n: round,
          sees_workloads: null,
        });
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
    // A derived field's own fields are checked as an input is, and its entrypoint must exist.
    const derived =
      (own: string, entrypoint = 'shared/summary') =>
      () =>
        policy.evaluateShared('shared/whole', '{"a":1}', '{}', { derived: { name: 'd', entrypoint, own } });
    assert.throws(derived('[1]'), { code: 'INPUT_INVALID' });
    assert.throws(derived(JSON.stringify({ n: '\udc00' })), { code: 'INPUT_INVALID', message: /\/n: a string holds a lone UTF-16 surrogate/ });
    assert.throws(derived('{}', 'shared/none'), { code: 'EVAL_ENTRYPOINT_UNKNOWN' });
    // Refusals leave the instance as it was.
    assert.deepEqual(shared({ a: 1 }, { b: 2 }), { defined: true, result: { a: 1, b: 2 } });
  });
});
