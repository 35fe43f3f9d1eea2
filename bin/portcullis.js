#!/usr/bin/env node
// Runs the compiled CLI (dist/), never tsx: start-up time matters for CI gates.
// A broken install must not exit 1, which a CI gate would read as "deny".
let main;
try {
  ({ main } = await import('../dist/src/cli/main.js'));
} catch (err) {
  process.stderr.write(
    `portcullis: cannot load the compiled CLI (reinstall the package; in a checkout of portcullis, run npm install): ${err?.message ?? err}\n`,
  );
  process.exit(3);
}
await main(process.argv);
