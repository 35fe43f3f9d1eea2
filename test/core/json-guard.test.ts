import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAppError, parseGuardedJson } from '../../src/core/index.js';

const parse = (text: string): unknown => parseGuardedJson(text, 64, 'body.json', 'REQUEST_INVALID');

const refusal = (text: string): string => {
  try {
    parse(text);
  } catch (err) {
    assert.ok(isAppError(err), `not an AppError: ${String(err)}`);
    assert.equal(err.code, 'REQUEST_INVALID');
    return err.message;
  }
  assert.fail(`${text} was accepted`);
};

describe('parseGuardedJson: surrogate escapes', () => {
  it('refuses a lone surrogate escape in any letter case, naming where it is', () => {
    for (const escape of ['\\ud800', '\\uD800', '\\uDbFf', '\\udc00', '\\uDFFF']) {
      assert.match(refusal(`{"a": ["x", "${escape}"]}`), /^body\.json: .*surrogate.* at line 1, column \d+$/, escape);
    }
  });

  it('refuses a lone surrogate that follows many other escapes', () => {
    const escapes = '\\u00e9\\/\\"'.repeat(5000);
    assert.match(refusal(`["${escapes}\\ud83d"]`), /surrogate/);
  });

  it('parses a surrogate pair, other escapes, and text that only looks like an escape', () => {
    assert.deepEqual(parse('["\\ud83d\\ude00", "\\u00e9\\u2019", "\\\\ud800", "\\u0064800"]'), ['😀', 'é’', '\\ud800', 'd800']);
  });
});
