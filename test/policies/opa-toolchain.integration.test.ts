import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { capabilitiesPath, runOpa } from '../../src/compile/index.js';
import { toolchain } from '../helpers/opa.js';
import { REPO } from '../helpers/processes.js';

const POLICIES = join(REPO, 'policies');
const MIN_COVERAGE = 90;

// The policy library is held to opa's own tools: formatted, strict-clean,
// tested beside each policy, and compilable within the Wasm capabilities.
describe('policies/ with the pinned opa', () => {
  it('is formatted (opa fmt --list prints nothing)', async () => {
    const run = await runOpa(toolchain().opa, ['fmt', '--list', POLICIES]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), '', `unformatted files:\n${run.stdout}`);
  });

  it('passes opa check --strict against the Wasm capabilities', async () => {
    const run = await runOpa(toolchain().opa, ['check', '--strict', '--capabilities', capabilitiesPath(), POLICIES]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
  });

  it(`passes opa test with at least ${MIN_COVERAGE}% coverage`, async () => {
    const run = await runOpa(toolchain().opa, ['test', '--coverage', '--format', 'json', POLICIES]);
    assert.equal(run.code, 0, run.stdout.slice(0, 4000) + run.stderr);
    const report = JSON.parse(run.stdout) as { coverage: number; files: Record<string, { coverage: number }> };
    assert.ok(report.coverage >= MIN_COVERAGE, `coverage ${report.coverage}%`);
    const tests = await runOpa(toolchain().opa, ['test', '--format', 'json', POLICIES]);
    const results = JSON.parse(tests.stdout) as { fail?: boolean; name: string }[];
    assert.ok(results.length >= 10, `${results.length} opa tests`);
    assert.deepEqual(
      results.filter((r) => r.fail).map((r) => r.name),
      [],
    );
  });
});
