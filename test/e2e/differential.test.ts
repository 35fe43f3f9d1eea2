import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { DATA_PATH, type LoadedBundle } from '../../src/bundle/index.js';
import { runOpa } from '../../src/compile/index.js';
import { canonicalJson } from '../../src/core/index.js';
import { WasmPolicy } from '../../src/evaluate/index.js';
import { IMAGE_CASES, rulesOf } from '../helpers/image-inputs.js';
import { buildRepositoryBundle, toolchain } from '../helpers/opa.js';

// The same bundle and inputs through opa-wasm in-process and through OPA's
// own evaluator (topdown, `opa eval` on the Rego sources and the bundle's data).
describe('wasm decisions equal OPA topdown decisions', () => {
  let project: string;
  let bundle: LoadedBundle;
  let policy: WasmPolicy;
  let dataFile: string;

  before(async () => {
    ({ bundle, project } = await buildRepositoryBundle('image-policy'));
    policy = await WasmPolicy.fromBundle(bundle);
    dataFile = join(await mkdtemp(join(tmpdir(), 'portcullis-diff-')), 'data.json');
    await writeFile(dataFile, bundle.files.find((f) => f.path === DATA_PATH)!.bytes);
  });

  it(`agrees on ${IMAGE_CASES.length} inputs, allowed and denied`, async () => {
    assert.ok(IMAGE_CASES.length >= 20);
    assert.ok(IMAGE_CASES.some((c) => c.rules.length === 0) && IMAGE_CASES.some((c) => c.rules.length > 0));
    for (const c of IMAGE_CASES) {
      const input = { images: [...c.images] };
      const wasm = {
        deny: sortedSet(policy.evaluate('portcullis/image/pinned/deny', input)),
        allow: policy.evaluate('portcullis/image/pinned/allow', input),
      };
      const topdown = await opaEval(input);
      assert.deepEqual(wasm.deny, sortedSet({ defined: true, result: topdown.deny }), JSON.stringify(input));
      assert.deepEqual(wasm.allow, { defined: true, result: topdown.allow }, JSON.stringify(input));
      assert.deepEqual(rulesOf(topdown.deny), [...c.rules].sort(), `expected rules for ${JSON.stringify(input)}`);
    }
  });

  async function opaEval(input: unknown): Promise<{ deny: unknown[]; allow: boolean }> {
    const inputFile = join(project, 'input.json');
    await writeFile(inputFile, JSON.stringify(input));
    const run = await runOpa(toolchain().opa, [
      'eval',
      '--format',
      'json',
      '-d',
      join(project, 'policies/image/pinned.rego'),
      '-d',
      dataFile,
      '-i',
      inputFile,
      'data.portcullis.image.pinned',
    ]);
    assert.equal(run.code, 0, run.stderr);
    const value = JSON.parse(run.stdout).result[0].expressions[0].value as { deny: unknown[]; allow: boolean };
    return value;
  }
});

function sortedSet(decision: { defined: boolean; result?: unknown }): unknown {
  if (!decision.defined) return decision;
  return { defined: true, result: [...(decision.result as unknown[])].map((v) => canonicalJson(v)).sort() };
}
