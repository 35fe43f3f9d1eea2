import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { packageRoot, PRECOMPILED_DIR } from '../../src/core/index.js';

// run-tests: own process: the test process must not have loaded ajv for anything else.
const require = createRequire(import.meta.url);

test('a shipped schema is validated with its precompiled code, without loading ajv', async () => {
  const { assertNormalizedInput } = await import('../../src/inputs/schemas.js');
  assert.throws(() => assertNormalizedInput({}, 'input.json'), /input\.json is invalid/);
  const loaded = Object.keys(require.cache);
  assert.ok(
    loaded.some((f) => f.startsWith(join(packageRoot(), ...PRECOMPILED_DIR))),
    'no precompiled validator was loaded',
  );
  assert.ok(!loaded.some((f) => f.endsWith(join('ajv', 'dist', 'ajv.js'))), 'ajv itself was loaded');
});
