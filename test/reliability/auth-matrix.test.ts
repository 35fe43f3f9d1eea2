import assert from 'node:assert/strict';
import { it } from 'node:test';
import { authMatrixScenario } from './harness/auth-scenario.js';
import { report } from './harness/support.js';

it('allows exactly what the token and client-certificate rules allow, on every route and path spelling', { timeout: 10 * 60_000 }, async () => {
  const figures = await authMatrixScenario();
  assert.deepEqual(report('Auth matrix', figures), []);
});
