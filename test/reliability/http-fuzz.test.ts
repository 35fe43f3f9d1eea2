import assert from 'node:assert/strict';
import { it } from 'node:test';
import { httpFuzzScenario } from './harness/http-scenario.js';
import { report } from './harness/support.js';

// The CI size; `npm run bench:reliability` runs the same with more requests and larger payloads,
// and holds the resident size after the run to its threshold, which CI only prints (see HttpFuzzSize).
it('fuzzes every endpoint: no crash, no 5xx for client input, no hang; memory before, at peak and after printed', { timeout: 15 * 60_000 }, async () => {
  const figures = await httpFuzzScenario({
    perEndpoint: 1000,
    concurrency: 8,
    hugeBytes: 4 * 1024 * 1024,
    bombBytes: 64 * 1024 * 1024,
    seed: 16,
    enforceMemoryAfter: false,
  });
  assert.deepEqual(report('HTTP fuzzing (CI size)', figures), []);
});
