// Preloaded by `run-tests.mjs --durations`: each test file's process appends
// its own wall time and CPU time (start-up, imports and tests) to the file the
// runner names. CPU time is what a loaded machine does not inflate.
import { appendFileSync } from 'node:fs';
import { relative } from 'node:path';

const out = process.env['PORTCULLIS_TEST_DURATIONS'];
const file = process.argv[1];
if (out && file) {
  process.once('exit', () => {
    const { user, system } = process.cpuUsage();
    appendFileSync(out, `${(process.uptime() * 1000).toFixed(0)}\t${((user + system) / 1000).toFixed(0)}\t${relative(process.cwd(), file)}\n`);
  });
}
