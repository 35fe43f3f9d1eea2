// Imported first by every unit-tier process (run-tests.mjs writes its entry):
// a unit test that starts a child process fails at once, so "unit" keeps
// meaning fast and self-contained.
import childProcess from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';

for (const name of ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork']) {
  childProcess[name] = () => {
    throw new Error(`unit tests start no child processes (${name}); name the file *.integration.test.ts`);
  };
}
syncBuiltinESMExports();
