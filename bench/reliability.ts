#!/usr/bin/env -S node --import tsx
// The reliability suite at bench size, for what is too slow for CI: more
// malformed requests per endpoint with larger payloads, more kill -9 rounds,
// more stalled connections. Prints each figure beside its threshold and exits
// 1 if any is missed. The CI sizes run in `npm run test:reliability`.
// Usage: npm run bench:reliability [-- --only fuzz|bundles|auth|ingest|publish|slow] [--seed N]
import { authMatrixScenario } from '../test/reliability/harness/auth-scenario.js';
import { hostileBundleScenario } from '../test/reliability/harness/bundles-scenario.js';
import { httpFuzzScenario } from '../test/reliability/harness/http-scenario.js';
import { killIngestScenario, killPublishScenario, slowClientScenario } from '../test/reliability/harness/kill-scenarios.js';
import { MB, report, type Figure } from '../test/reliability/harness/support.js';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const seed = Number(arg('seed') ?? 1616);
const only = arg('only');

// The fuzzing's bench size: twice CI's requests per endpoint with payloads 12 times larger (48 MB strings, 1 GiB bombs),
// 16 at a time; 40 minutes on a busy 2-core machine.
const scenarios: [name: string, title: string, run: () => Promise<Figure[]>][] = [
  [
    'fuzz',
    'HTTP fuzzing (bench size)',
    () => httpFuzzScenario({ perEndpoint: 2000, concurrency: 16, hugeBytes: 48 * MB, bombBytes: 1024 * MB, seed, enforceMemoryAfter: true }),
  ],
  ['bundles', 'Hostile bundles', () => hostileBundleScenario(2)],
  ['auth', 'Auth matrix', () => authMatrixScenario()],
  ['ingest', 'kill -9 during ingestion (bench size)', () => killIngestScenario(40, seed)],
  ['publish', 'kill -9 during publishing (bench size)', () => killPublishScenario(100, seed)],
  ['slow', 'Slow clients (bench size)', () => slowClientScenario(5000)],
];

let failed = 0;
for (const [name, title, run] of scenarios) {
  if (only !== undefined && only !== name) continue;
  const started = Date.now();
  const figures = await run();
  failed += report(`${title} (${Math.round((Date.now() - started) / 1000)} s)`, figures).length;
}
console.log(failed === 0 ? 'every figure met its threshold' : `${failed} figure(s) missed their threshold`);
process.exit(failed === 0 ? 0 : 1);
