import assert from 'node:assert/strict';
import { it } from 'node:test';
import { killIngestScenario, killPublishScenario, slowClientScenario } from './harness/kill-scenarios.js';
import { report } from './harness/support.js';

// CI sizes; `npm run bench:reliability` runs more rounds and connections.

it('loses no acknowledged decision-log event when the server is killed with SIGKILL mid-ingestion', { timeout: 10 * 60_000 }, async () => {
  assert.deepEqual(report('kill -9 during ingestion (CI size)', await killIngestScenario(5, 9)), []);
});

it('never serves or leaves a torn or mixed bundle when a build is killed with SIGKILL mid-publish', { timeout: 10 * 60_000 }, async () => {
  assert.deepEqual(report('kill -9 during publishing (CI size)', await killPublishScenario(12, 9)), []);
});

it('disconnects thousands of clients that stall in their headers or body, with the default timeouts', { timeout: 10 * 60_000 }, async () => {
  assert.deepEqual(report('Slow clients (CI size)', await slowClientScenario(2000)), []);
});
