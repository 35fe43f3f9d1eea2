import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { runCheck } from '../../src/check/index.js';
import { WasmPolicy } from '../../src/evaluate/index.js';
import { CORPUS, CORPUS_NOW, corpusPath } from '../inputs/corpus.js';
import { mutate, outcomeOf, rng, Tally } from '../helpers/mutate.js';
import { buildRepositoryBundle } from '../helpers/opa.js';

// The decisions of the report corpus (test/inputs/corpus.ts) through the
// shipped image-scan bundle, built by the real opa with examples/policy/settings.yaml;
// and the decision end of the mutation test: mutated reports end in a
// decision or a coded error, never an uncaught exception.
describe('report corpus and mutants through the built image-scan policy', () => {
  let policy: WasmPolicy;

  before(async () => {
    policy = await WasmPolicy.fromBundle((await buildRepositoryBundle('image-scan')).bundle);
  });

  for (const entry of CORPUS) {
    it(`decides ${entry.dir}/${entry.name}`, () => {
      const result = runCheck(policy, { reports: [{ path: entry.name, bytes: readFileSync(corpusPath(entry)) }], now: CORPUS_NOW });
      assert.deepEqual(
        { decision: result.decision.decision, violations: result.decision.violations.length, warnings: result.decision.warnings.length },
        { decision: entry.decision, violations: entry.violations, warnings: entry.policyWarnings },
      );
    });
  }

  it('decides mutated reports or fails with a coded error (seeded)', () => {
    const r = rng(1111);
    const tally = new Tally();
    const seeds = CORPUS.map((e) => ({ name: e.name, text: readFileSync(corpusPath(e), 'utf8') })).filter((s) => s.text.length < 100_000);
    for (const seed of seeds) {
      for (let i = 0; i < 60; i += 1) {
        const text = mutate(seed.text, r);
        tally.add(
          outcomeOf(() => runCheck(policy, { reports: [{ path: seed.name, bytes: Buffer.from(text, 'utf8') }], now: CORPUS_NOW })),
          text,
        );
      }
    }
    console.log(`mutation (decision): ${tally.summary()}`);
    assert.ok((tally.counts.get('ok') ?? 0) > tally.iterations / 10);
    assert.equal(tally.crashCount, 0, tally.crashes.map((c) => `${String(c.error)}\n${c.input}`).join('\n---\n'));
  });
});
