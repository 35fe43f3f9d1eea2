import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadBundle } from '../../src/bundle/index.js';
import { evaluateMessagesShared, VERDICT_ENTRYPOINT } from '../../src/check/index.js';
import { capabilitiesPath, runOpa } from '../../src/compile/index.js';
import { WasmPolicy } from '../../src/evaluate/index.js';
import { toolchain } from '../helpers/opa.js';

// A policy's decision, and an admission verdict that is either the decision's
// messages (as the library's) or a shape that breaks the contract.
const decision = `package portcullis.scan

decision := {
	"decision": "deny",
	"violations": [{"rule": "r", "severity": "HIGH", "enforcement": "deny", "message": concat(" ", ["denied", input.image])}],
	"warnings": [{"rule": "w", "severity": "LOW", "enforcement": "warn", "message": "warned"}],
	"exceptions": [],
	"expired_exceptions": [{"rule": "r", "reason": "old", "expires": "2026-01-01", "image": input.image}],
}
`;

async function policyOf(rego: string, entrypoints: string[]): Promise<WasmPolicy> {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-verdict-'));
  try {
    await writeFile(join(dir, 'policy.rego'), rego);
    const out = join(dir, 'bundle.tar.gz');
    const args = ['build', '-t', 'wasm', '--capabilities', capabilitiesPath(), ...entrypoints.flatMap((e) => ['-e', e]), '-o', out, join(dir, 'policy.rego')];
    const build = await runOpa(toolchain().opa, args);
    assert.equal(build.code, 0, build.stderr);
    return await WasmPolicy.fromBundle(loadBundle(new Uint8Array(await readFile(out))));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const decide = (policy: WasmPolicy) => evaluateMessagesShared(policy, '{"image":"app:1"}', '{}', new Date('2026-06-01T00:00:00Z'));

describe('evaluateMessagesShared', () => {
  const expected = {
    reasons: ['denied app:1'],
    warnings: ['warned'],
    expired_exceptions: [{ rule: 'r', reason: 'old', expires: '2026-01-01', image: 'app:1' }],
  };

  it('takes the messages from the decision of a policy without the verdict entrypoint', async () => {
    const policy = await policyOf(decision, ['portcullis/scan/decision']);
    assert.ok(!policy.entrypoints.has(VERDICT_ENTRYPOINT));
    assert.deepEqual(decide(policy), expected);
  });

  it('evaluates the verdict entrypoint when the policy has it', async () => {
    // Its reasons differ from the decision's, so the result shows which rule answered.
    const verdict = `admission_verdict := {"reasons": ["from the verdict"], "warnings": ["warned"], "expired_exceptions": decision.expired_exceptions}\n`;
    const policy = await policyOf(`${decision}\n${verdict}`, ['portcullis/scan/decision', VERDICT_ENTRYPOINT]);
    assert.deepEqual(decide(policy), { ...expected, reasons: ['from the verdict'] });
  });

  it('refuses a verdict that breaks its contract as DECISION_INVALID, naming the entrypoint', async () => {
    const broken = `admission_verdict := {"reasons": [1], "warnings": []}\n`;
    const policy = await policyOf(`${decision}\n${broken}`, ['portcullis/scan/decision', VERDICT_ENTRYPOINT]);
    assert.throws(
      () => decide(policy),
      (err: Error & { code?: string }) => err.code === 'DECISION_INVALID' && err.message.includes(VERDICT_ENTRYPOINT),
    );
  });
});
