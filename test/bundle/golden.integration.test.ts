import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sha256Hex } from '../../src/core/index.js';
import { GOLDEN_DIR, goldenCandidates } from '../helpers/golden.js';

// Identical inputs must give byte-identical bundles. The pinned bytes change
// only through `npm run golden:update`, never in a normal test run.
describe('golden bundles', () => {
  it('rebuilding gives exactly the pinned bytes', async () => {
    const candidates = await goldenCandidates();
    for (const [name, bytes] of Object.entries(candidates)) {
      const pinned = (await readFile(join(GOLDEN_DIR, `${name}.sha256`), 'utf8')).trim();
      assert.equal(sha256Hex(bytes), pinned, `${name} differs from test/golden; if intended, run npm run golden:update`);
      assert.deepEqual(Buffer.from(bytes), await readFile(join(GOLDEN_DIR, name)));
    }
  });
});
