import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { JsonNumber, jsonPieces, utf8Bytes } from '../../src/core/index.js';
import { normalize } from '../../src/inputs/index.js';

const REPORTS = join(import.meta.dirname, '..', 'fixtures', 'real', 'reports');
/** Below V8's large-object threshold (128 KiB) in two-byte characters, the widest a string takes. */
const SMALL_PIECE_CHARS = 64 * 1024;

const range = (n: number, f: (i: number) => unknown) => Array.from({ length: n }, (_, i) => f(i));

describe('jsonPieces', () => {
  const values: Record<string, unknown> = {
    'a scalar': 'text with ü and \u{1F600}',
    'a short array': [1, 'two', null, true],
    'long arrays, nested': { list: range(300, (i) => ({ i, tags: range(i % 7, (j) => `t${j}`) })), few: [range(70, (i) => i)] },
    'fields JSON leaves out': { a: undefined, b: () => 1, c: Symbol('s'), d: 1 },
    'array elements JSON writes as null': [undefined, () => 1, Symbol('s'), 1],
    'the same in a long array': range(100, (i) => (i % 3 === 0 ? undefined : i)),
    'values with toJSON': { at: new Date(0), n: new JsonNumber('1.50'), nested: { toJSON: () => ({ replaced: true }) } },
    'objects JSON writes field by field or not at all': {
      none: Object.assign(Object.create(null) as object, { x: 1 }),
      map: new Map([[1, 2]]),
      boxed: new String('s'),
    },
    'empty containers': { a: [], o: {}, deep: [[[[[[{}]]]]]] },
    'a long array written twice, as a report repeats its lists for its one image': (() => {
      const list = range(70, (i) => ({ i, message: `finding ${i}` }));
      return { violations: list, images: [{ violations: list, other: list.slice(1) }] };
    })(),
    'integer-like keys first, as JSON.stringify orders them': { b: 1, 2: 'two', a: 3, 1: 'one' },
  };

  for (const [name, value] of Object.entries(values)) {
    it(`joins to JSON.stringify's text: ${name}`, () => {
      assert.equal(jsonPieces(value).join(''), JSON.stringify(value));
    });
  }

  it('joins to the text of every real report and of its normalized input, which it writes in pieces below the large-object threshold', () => {
    for (const file of readdirSync(REPORTS).filter((f) => f.endsWith('.json'))) {
      const bytes = readFileSync(join(REPORTS, file));
      const report = JSON.parse(bytes.toString('utf8')) as unknown;
      assert.equal(jsonPieces(report).join(''), JSON.stringify(report), file);
      const input = normalize({ reports: [{ path: file, bytes }], now: '2024-11-01T00:00:00Z' });
      const pieces = jsonPieces(input);
      assert.equal(pieces.join(''), JSON.stringify(input), file);
      const longest = Math.max(...pieces.map((p) => p.length));
      assert.ok(longest < SMALL_PIECE_CHARS, `${file}: a piece of ${longest} characters`);
    }
  });

  it('splits a long array into batches rather than one text', () => {
    const pieces = jsonPieces({ vulnerabilities: range(1000, (i) => ({ id: `CVE-${i}`, title: 'x'.repeat(200) })) });
    assert.ok(pieces.length > 10, `${pieces.length} pieces`);
    assert.ok(Math.max(...pieces.map((p) => p.length)) < SMALL_PIECE_CHARS);
  });

  it('refuses what JSON cannot write at all, as JSON.stringify would leave it undefined', () => {
    assert.throws(() => jsonPieces(undefined), TypeError);
    assert.throws(() => jsonPieces({ big: 1n }), TypeError);
  });
});

describe('utf8Bytes', () => {
  it('encodes pieces as the UTF-8 of their text, in a buffer of their size', () => {
    const pieces = jsonPieces({ text: 'é \u{1F600} “quoted”', list: range(80, (i) => `ü${i}`) });
    const bytes = utf8Bytes(pieces);
    assert.deepEqual(bytes, Buffer.from(pieces.join(''), 'utf8'));
    assert.equal(bytes.byteLength, Buffer.byteLength(pieces.join('')));
  });

  it('gives an empty buffer for no text', () => {
    assert.equal(utf8Bytes([]).byteLength, 0);
  });
});
