import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson, JsonNumber, parseJsonPreserving } from '../../src/core/index.js';

describe('canonicalJson', () => {
  it('sorts keys by UTF-8 bytes, not UTF-16 units', () => {
    // UTF-16 puts U+1F600 (D83D...) before U+FF5E; UTF-8 bytes (F0... vs EF...) put it after.
    const value = { '\u{1F600}': 1, '\uFF5E': 2, b: 3, B: 4, a: 5 };
    assert.equal(canonicalJson(value), '{"B":4,"a":5,"b":3,"\uFF5E":2,"\u{1F600}":1}');
  });

  it('escapes like Go without HTML escaping', () => {
    const s = '"\\\b\f\n\r\t\u0001\u001f<>&\u007f\u2028\u2029é';
    assert.equal(canonicalJson(s), '"\\"\\\\\\b\\f\\n\\r\\t\\u0001\\u001f<>&\u007f\\u2028\\u2029é"');
  });

  it('turns lone surrogates into U+FFFD as the Go decoder does', () => {
    assert.equal(canonicalJson('a\uD800b'), '"a\uFFFDb"');
  });

  it('keeps number lexemes verbatim and writes big integers exactly', () => {
    const parsed = parseJsonPreserving('{"x":1.0,"y":1E5,"z":-0,"big":123456789012345678901234567890}');
    assert.equal(canonicalJson(parsed), '{"big":123456789012345678901234567890,"x":1.0,"y":1E5,"z":-0}');
    assert.equal(canonicalJson(12345678901234567890n), '12345678901234567890');
    assert.equal(canonicalJson(new JsonNumber('2.50')), '2.50');
  });

  it('is compact and a fixed point of parse then serialise', () => {
    const text = '{ "b" : [ 1 , 2 , { "d" : null , "c" : true } ] , "a" : "x" }';
    const once = canonicalJson(parseJsonPreserving(text));
    assert.equal(once, '{"a":"x","b":[1,2,{"c":true,"d":null}]}');
    assert.equal(canonicalJson(parseJsonPreserving(once)), once);
  });

  it('refuses values JSON cannot carry', () => {
    assert.throws(() => canonicalJson(Number.NaN), TypeError);
    assert.throws(() => canonicalJson(() => 1), TypeError);
  });
});

describe('parseJsonPreserving', () => {
  it('strips a BOM and keeps the last of duplicate keys, as Go does', () => {
    const parsed = parseJsonPreserving('\uFEFF{"a":1,"a":2}') as Record<string, JsonNumber>;
    assert.equal(parsed['a']?.lexeme, '2');
  });

  it('decodes surrogate pairs and replaces unpaired surrogate escapes', () => {
    assert.equal(parseJsonPreserving('"\\ud83d\\ude00"'), '\u{1F600}');
    assert.equal(parseJsonPreserving('"\\ud83dx"'), '\uFFFDx');
  });

  it('names the line and column of a syntax error', () => {
    assert.throws(
      () => parseJsonPreserving('{\n  "a": tru\n}', 'data.json'),
      (err: Error & { code?: string }) => err.code === 'INPUT_INVALID' && /data\.json: invalid JSON at line 2, column 8/.test(err.message),
    );
  });

  it('rejects trailing data, control characters and bad escapes', () => {
    for (const bad of ['{} {}', '"a\u0001"', '"\\x"', '[1,]', '{"a" 1}', '01']) {
      assert.throws(() => parseJsonPreserving(bad), { name: 'AppError' }, bad);
    }
  });

  it('limits nesting depth', () => {
    assert.throws(() => parseJsonPreserving('['.repeat(2000) + ']'.repeat(2000)), /nesting deeper/);
  });
});
