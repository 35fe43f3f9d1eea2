// Preloaded by `run-tests.mjs --durations`: each test process appends its own
// wall time, CPU time (start-up, imports and tests) and entry file (the runner
// names the test file it ran) to the file the runner names. CPU time is what a
// loaded machine does not inflate.
import { appendFileSync } from 'node:fs';
import { resolve } from 'node:path';

const out = process.env['PORTCULLIS_TEST_DURATIONS'];
const file = process.argv[1];
if (out && file) {
  process.once('exit', () => {
    const { user, system } = process.cpuUsage();
    appendFileSync(out, `${(process.uptime() * 1000).toFixed(0)}\t${((user + system) / 1000).toFixed(0)}\t${resolve(file)}\n`);
  });
}
