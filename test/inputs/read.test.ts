import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_INPUT_LIMITS } from '../../src/inputs/index.js';
import { decodeText, parseJsonBytes } from '../../src/inputs/read.js';
import { REAL_REPORTS } from '../helpers/fixtures.js';

const encode = (text: string) => new TextEncoder().encode(text);
const fast = (bytes: Uint8Array) => parseJsonBytes(bytes, 'x.json', DEFAULT_INPUT_LIMITS)?.value;

describe('reading JSON straight from bytes', () => {
  it('gives what JSON.parse of the decoded text gives, for every real report', () => {
    const files = readdirSync(REAL_REPORTS).filter((f) => /\.json(\.golden)?$/.test(f));
    assert.ok(files.length > 10);
    for (const file of files) {
      const bytes = readFileSync(join(REAL_REPORTS, file));
      assert.deepEqual(fast(bytes), JSON.parse(new TextDecoder().decode(bytes)), file);
    }
  });

  it('keeps text outside ASCII exactly: accents, CJK, astral characters, escapes beside them, keys, runs across chunk borders', () => {
    const long = 'a'.repeat(4094);
    const doc = {
      clé: 'Bjørn «quoted» ”2020-04-22T11:19:46Z”',
      cjk: '日本語のテキスト',
      astral: '𝄞 and 😀',
      escapes: 'é\u00e9\n\t"\\/\u2028',
      border: `${long}éü${long}😀`,
      list: ['ü', 1, null, true, { ключ: 'значение' }],
    };
    for (const text of [JSON.stringify(doc), JSON.stringify(doc, null, 2), `\uFEFF${JSON.stringify(doc)}`, `  \n[${JSON.stringify(doc)}]`]) {
      assert.deepEqual(fast(encode(text)), JSON.parse(text.replace(/^\uFEFF/, '')));
    }
  });

  it('leaves everything else to the decoding path: YAML, XML, scalars, broken JSON', () => {
    for (const text of ['a: 1', '<bom/>', 'null', '"text"', '{"a": 1,}', '{"a": é}'])
      assert.equal(parseJsonBytes(encode(text), 'x', DEFAULT_INPUT_LIMITS), undefined, text);
  });

  it('refuses what decoding refuses: invalid UTF-8, and more bytes than the limit', () => {
    const invalid = new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]);
    assert.throws(() => fast(invalid), /x\.json: not valid UTF-8/);
    assert.throws(() => decodeText(invalid, 'x.json', DEFAULT_INPUT_LIMITS), /x\.json: not valid UTF-8/);
    assert.throws(() => parseJsonBytes(encode('{"a": 1}'), 'x.json', { ...DEFAULT_INPUT_LIMITS, maxBytes: 4, maxDepth: 10 }), /exceeds the limit of 4 bytes/);
  });

  it('checks the depth of what it parsed', () => {
    assert.throws(
      () => parseJsonBytes(encode(`{"a": ${'['.repeat(20)}${']'.repeat(20)}}`), 'x.json', { ...DEFAULT_INPUT_LIMITS, maxBytes: 1000, maxDepth: 10 }),
      /nesting deeper than 10 levels at \/a(\/0)+/,
    );
  });

  it('decodes text as a fatal UTF-8 decoder does, dropping one BOM', () => {
    const text = '\uFEFFkey: välue ✓';
    assert.equal(decodeText(encode(text), 'x', DEFAULT_INPUT_LIMITS), text.slice(1));
    assert.equal(decodeText(encode('plain'), 'x', DEFAULT_INPUT_LIMITS), 'plain');
  });
});
