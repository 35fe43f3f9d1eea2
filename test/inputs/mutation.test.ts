import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { normalizeByImage } from '../../src/inputs/index.js';
import { mutate, outcomeOf, rng, Tally } from '../helpers/mutate.js';
import { CORPUS, CORPUS_NOW, corpusPath } from './corpus.js';

// Mutated real reports (truncated, types flipped, fields deleted, nested)
// must end in a normalized input or a coded AppError, never an uncaught
// exception. Seeded: a failure prints the seed and input to replay. The
// decision on each mutant is checked in test/policies/mutation.integration.test.ts;
// test/reliability/parsers.test.ts runs the same at a larger scale.

const SEED = 11;
const PER_FILE = 150;
// Large reports cost tens of milliseconds each; the unit tier mutates the smaller ones.
const seeds = CORPUS.map((e) => ({ name: e.name, text: readFileSync(corpusPath(e), 'utf8') })).filter((s) => s.text.length < 100_000);

describe('mutated real reports', () => {
  it(`end in an input or a coded error (${PER_FILE} mutants of each of ${seeds.length} files, seed ${SEED})`, () => {
    const r = rng(SEED);
    const tally = new Tally();
    for (const seed of seeds) {
      for (let i = 0; i < PER_FILE; i += 1) {
        const text = mutate(seed.text, r);
        tally.add(
          outcomeOf(() => normalizeByImage({ reports: [{ path: seed.name, bytes: Buffer.from(text, 'utf8') }], now: CORPUS_NOW })),
          text,
        );
      }
    }
    console.log(`mutation (parse and normalize): ${tally.summary()}`);
    assert.ok(tally.iterations >= 2500);
    assert.ok((tally.counts.get('ok') ?? 0) > tally.iterations / 10, `most mutants still parse: ${tally.summary()}`);
    assert.equal(tally.crashCount, 0, `${tally.summary()}\n${tally.crashes.map((c) => `${String(c.error)}\n${c.input}`).join('\n---\n')}`);
  });
});
