// Regenerates test/golden/report/sample.<format>: each output format on the
// sample decision of test/report/sample.ts. Run it on purpose
// (`npm run golden:report`) and review the diff; tests only ever read these files.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formats } from '../src/report/index.js';
import { SAMPLE, SAMPLE_CONTEXT } from '../test/report/sample.js';
import { GOLDEN_EXTENSIONS } from '../test/report/golden-files.js';

const dir = fileURLToPath(new URL('../test/golden/report/', import.meta.url));
for (const format of formats) {
  const file = `${dir}sample.${GOLDEN_EXTENSIONS[format.name] ?? format.name}`;
  writeFileSync(file, format.format(SAMPLE, SAMPLE_CONTEXT));
  process.stdout.write(`wrote ${file}\n`);
}
