import assert from 'node:assert/strict';
import { it } from 'node:test';
import { hostileBundleScenario } from './harness/bundles-scenario.js';
import { report } from './harness/support.js';

it('refuses every hostile bundle through verify, eval, check and serve --dir, without a crash, hang or escape', { timeout: 20 * 60_000 }, async () => {
  const figures = await hostileBundleScenario(2);
  assert.deepEqual(report('Hostile bundles', figures), []);
});
