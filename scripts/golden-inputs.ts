// Regenerates the normalized-input goldens under test/golden/inputs/ from the
// real fixtures (test/fixtures/real). Run only on purpose (npm run golden:inputs) after a
// deliberate change to the normalized shape, then review the diff by hand.
import { mkdir, writeFile } from 'node:fs/promises';
import { FIXTURE_LIST, GOLDEN_INPUTS, goldenPath, goldenSummary, normalizeFixture } from '../test/inputs/fixtures.js';

await mkdir(GOLDEN_INPUTS, { recursive: true });
for (const fixture of FIXTURE_LIST) {
  const summary = goldenSummary(fixture, await normalizeFixture(fixture));
  await writeFile(goldenPath(fixture), `${JSON.stringify(summary, null, 2)}\n`);
  console.log(goldenPath(fixture));
}
