import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BUNDLE_LIMITS, EVALUATION_LIMITS, MAX_JSON_DEPTH } from '../../src/core/index.js';
import { capabilitiesPath, runOpa } from '../../src/compile/index.js';
import { Evaluator } from '../../src/serve/evaluator.js';
import type { PublishedBundle } from '../../src/serve/registry.js';
import { toolchain } from '../helpers/opa.js';

// The report entries are the clock of the evaluation that made them, so a
// decision shows which worker's kept entries it was given: the first job's
// time where it ran, another's where a second worker evaluated them anew.
const rego = `package portcullis.scan

report_entries := time.now_ns()

decision := {
	"decision": "deny",
	"violations": [{"rule": "kept", "severity": "HIGH", "enforcement": "deny", "message": sprintf("%v", [input.report_entries])}],
	"warnings": [],
	"exceptions": [],
	"expired_exceptions": [],
}
`;

describe('Evaluator affinity', () => {
  let bundle: PublishedBundle;
  let evaluator: Evaluator;
  // Workers do not keep the process alive on their own (a server's listener does): this stands in for it.
  const alive = setInterval(() => undefined, 1000);

  before(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portcullis-affinity-'));
    try {
      await writeFile(join(dir, 'policy.rego'), rego);
      const out = join(dir, 'bundle.tar.gz');
      const entrypoints = ['portcullis/scan/decision', 'portcullis/scan/report_entries'];
      const args = ['build', '-t', 'wasm', '--capabilities', capabilitiesPath(), ...entrypoints.flatMap((e) => ['-e', e]), '-o', out, join(dir, 'policy.rego')];
      const build = await runOpa(toolchain().opa, args);
      assert.equal(build.code, 0, build.stderr);
      const bytes = new Uint8Array(await readFile(out));
      bundle = { name: 'scan', bytes, etag: '"1"', revision: '1', roots: ['portcullis/scan'], entrypoints, signed: false, publishedAt: new Date() };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    evaluator = new Evaluator({ read: BUNDLE_LIMITS, evaluation: EVALUATION_LIMITS, maxDepth: MAX_JSON_DEPTH, threads: 2, offloadBytes: 1024, maxQueued: 16 });
  });

  after(async () => {
    await evaluator.close();
    clearInterval(alive);
  });

  const shared = new TextEncoder().encode('{"vulnerabilities":[]}');
  const ns = (second: number) => String(BigInt(Date.UTC(2026, 0, 1, 0, 0, second)) * 1_000_000n);
  const decide = async (second: number, affinity: string | undefined) => {
    const now = new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString();
    const job = { kind: 'decide', body: new Uint8Array(shared), own: JSON.stringify({ now }), report: '{"metadata":{}}', now } as const;
    return (await evaluator.run(job, bundle, affinity)).verdict.reasons[0];
  };

  it('sends the jobs of one affinity to the worker that keeps their values, waiting for it rather than evaluating them again', async () => {
    assert.equal(await decide(1, 'scan-1'), ns(1), 'the first evaluates the entries as of its time');
    const together = await Promise.all([decide(2, 'scan-1'), decide(3, 'scan-1')]);
    assert.deepEqual(together, [ns(1), ns(1)], 'both on the worker that keeps them, though the other was free');
    // Without an affinity, the second of two jobs at once goes to the other worker, which evaluates the entries anew.
    const apart = await Promise.all([decide(4, undefined), decide(5, undefined)]);
    assert.deepEqual(apart, [ns(1), ns(5)]);
  });
});
