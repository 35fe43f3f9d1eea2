import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { DATA_PATH, type LoadedBundle } from '../../src/bundle/index.js';
import { evaluateDecisionShared, evaluateMessagesShared, messagesOf, REPORT_ENTRYPOINT, VERDICT_ENTRYPOINT } from '../../src/check/index.js';
import { runOpa } from '../../src/compile/index.js';
import type { JsonValue } from '../../src/core/index.js';
import { WasmPolicy } from '../../src/evaluate/index.js';
import type { Decision } from '../../src/report/model.js';
import { FIXTURE_LIST, normalizeFixture } from '../inputs/fixtures.js';
import { buildRepositoryBundle, toolchain } from '../helpers/opa.js';
import { DECISION_NOW, decisionSummary, goldenDecisionPath, SCAN_ENTRYPOINT } from './decision-goldens.js';

// Every shared fixture through the shipped image scan library: the in-process
// Wasm decision, on the whole input, on the input in the two parts admission
// gives (WasmPolicy.evaluateShared) and with the report's entries evaluated
// apart and given back as a worker does (evaluateDecisionShared; its
// messages alone, as admission takes them, from evaluateMessagesShared), equals
// OPA's own evaluator (opa eval, topdown) on the same normalized input and
// bundle data, and equals its reviewed golden under test/golden/decisions/
// (regenerated only by npm run golden:decisions).
describe('decisions on every shared fixture', () => {
  let bundle: LoadedBundle;
  let project: string;
  let policy: WasmPolicy;
  let work: string;

  before(async () => {
    ({ bundle, project } = await buildRepositoryBundle('image-scan'));
    policy = await WasmPolicy.fromBundle(bundle);
    assert.ok(policy.entrypoints.has(REPORT_ENTRYPOINT), 'the library gives the report entries admission keeps');
    assert.ok(policy.entrypoints.has(VERDICT_ENTRYPOINT), 'the library gives the messages admission answers with');
    work = await mkdtemp(join(tmpdir(), 'portcullis-scan-fixtures-'));
    await writeFile(join(work, 'data.json'), bundle.files.find((f) => f.path === DATA_PATH)!.bytes);
  });

  for (const fixture of FIXTURE_LIST) {
    it(`${fixture.kind}/${fixture.name}`, async () => {
      const input = await normalizeFixture(fixture, DECISION_NOW);
      const wasm = policy.evaluate(SCAN_ENTRYPOINT, input as unknown as JsonValue, { now: new Date(DECISION_NOW) });
      assert.ok(wasm.defined);
      // As admission decides a stored scan: its part kept in the heap, the review's fields apart (twice: parsed, then kept).
      const { now, workloads, metadata, ...scan } = input;
      for (const pass of ['parsed', 'kept']) {
        const split = policy.evaluateShared(SCAN_ENTRYPOINT, JSON.stringify(scan), JSON.stringify({ now, workloads, metadata }), {
          now: new Date(DECISION_NOW),
        });
        assert.deepEqual(split, wasm, `the input in two parts (${pass}) is decided as the whole`);
      }
      // As a worker decides it: the report's entries evaluated without the workloads and the time, then kept per namespace.
      const asWorker = (shared: string) =>
        [shared, JSON.stringify({ now, workloads, metadata }), new Date(DECISION_NOW), JSON.stringify({ metadata })] as const;
      for (const pass of ['evaluated', 'kept']) {
        const decided = evaluateDecisionShared(policy, ...asWorker(JSON.stringify(scan)));
        assert.deepEqual(decided, wasm.result, `the decision with the report's entries given (${pass}) is the whole input's`);
        // Its shared part spelled apart (indented), so it is evaluated and kept on its own, not taken from the decision's.
        const messages = evaluateMessagesShared(policy, ...asWorker(JSON.stringify(scan, null, 1)));
        assert.deepEqual(messages, messagesOf(wasm.result as Decision), `the admission verdict (${pass}) is the whole decision's messages`);
      }
      const inputFile = join(work, 'input.json');
      await writeFile(inputFile, JSON.stringify(input));
      const run = await runOpa(toolchain().opa, [
        'eval',
        '--format',
        'json',
        '-d',
        join(project, 'policies/scan'),
        '-d',
        join(work, 'data.json'),
        '-i',
        inputFile,
        `data.${SCAN_ENTRYPOINT.replaceAll('/', '.')}`,
      ]);
      assert.equal(run.code, 0, run.stderr);
      const topdown = (JSON.parse(run.stdout) as { result: { expressions: { value: unknown }[] }[] }).result[0]?.expressions[0]?.value;
      assert.deepEqual(wasm.result, topdown, 'Wasm and topdown decide the same');
      const golden = JSON.parse(await readFile(goldenDecisionPath(fixture), 'utf8')) as unknown;
      assert.deepEqual(decisionSummary(wasm.result as Decision), golden);
    });
  }
});
