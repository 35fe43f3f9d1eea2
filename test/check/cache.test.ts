import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_READ_LIMITS } from '../../src/bundle/index.js';
import { PolicyCache } from '../../src/check/index.js';
import { EVALUATION_LIMITS } from '../../src/core/index.js';
import { tinyBundle } from '../helpers/bundles.js';

const revision = (name: string, etag: string, rev: string) => ({ name, etag, bytes: tinyBundle(rev, [name]) });

describe('PolicyCache', () => {
  it('loads a revision once, and again for a new ETag', async () => {
    const cache = new PolicyCache(DEFAULT_READ_LIMITS, EVALUATION_LIMITS);
    const first = cache.get(revision('a', '"1"', 'r1'));
    assert.equal(cache.get(revision('a', '"1"', 'r1')), first);
    const second = cache.get(revision('a', '"2"', 'r2'));
    assert.notEqual(second, first);
    assert.equal((await second).bundle.manifest.revision, 'r2');
  });

  it('forgets a withdrawn bundle and leaves the others loaded', async () => {
    const cache = new PolicyCache(DEFAULT_READ_LIMITS, EVALUATION_LIMITS);
    const a = cache.get(revision('a', '"1"', 'r1'));
    const b = cache.get(revision('b', '"1"', 'r1'));
    cache.forget('a');
    assert.notEqual(cache.get(revision('a', '"1"', 'r1')), a);
    assert.equal(cache.get(revision('b', '"1"', 'r1')), b);
  });
});
