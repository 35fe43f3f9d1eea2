// Regenerates test/golden/decisions/ from the real fixtures (test/fixtures/real) through the
// shipped image scan library. Run only on purpose (npm run golden:decisions)
// after a deliberate policy or settings change, then review the diff by hand.
import { mkdir, writeFile } from 'node:fs/promises';
import type { JsonValue } from '../src/core/index.js';
import { WasmPolicy } from '../src/evaluate/index.js';
import type { Decision } from '../src/report/model.js';
import { FIXTURE_LIST, normalizeFixture } from '../test/inputs/fixtures.js';
import { buildRepositoryBundle } from '../test/helpers/opa.js';
import { DECISION_NOW, decisionSummary, GOLDEN_DECISIONS, goldenDecisionPath, SCAN_ENTRYPOINT } from '../test/policies/decision-goldens.js';

const policy = await WasmPolicy.fromBundle((await buildRepositoryBundle('image-scan')).bundle);
await mkdir(GOLDEN_DECISIONS, { recursive: true });
for (const fixture of FIXTURE_LIST) {
  const input = await normalizeFixture(fixture, DECISION_NOW);
  const decision = policy.evaluate(SCAN_ENTRYPOINT, input as unknown as JsonValue, { now: new Date(DECISION_NOW) });
  if (!decision.defined) throw new Error(`${fixture.name}: no decision`);
  await writeFile(goldenDecisionPath(fixture), `${JSON.stringify(decisionSummary(decision.result as Decision), null, 2)}\n`);
  console.log(goldenDecisionPath(fixture));
}
