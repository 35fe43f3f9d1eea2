// Regenerates the pinned golden bundles under test/golden/. Run only on
// purpose (npm run golden:update) after a deliberate change to the bundle
// format, the example bundle or the pinned opa; review the diff.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256Hex } from '../src/core/index.js';
import { GOLDEN_DIR, goldenCandidates } from '../test/helpers/golden.js';

for (const [name, bytes] of Object.entries(await goldenCandidates())) {
  await writeFile(join(GOLDEN_DIR, name), bytes);
  await writeFile(join(GOLDEN_DIR, `${name}.sha256`), `${sha256Hex(bytes)}\n`);
  console.log(`${name}: ${sha256Hex(bytes)}`);
}
