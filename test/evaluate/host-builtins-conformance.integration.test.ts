import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { loadCases, runCase, type OpaCase, type Outcome } from './opa-cases.js';

// OPA's own conformance cases for the builtins portcullis provides on the
// host, run through opa build -t wasm and opa-wasm. Every case must pass
// except those listed below, each of which must still fail (so that an
// exception is dropped as soon as it is no longer needed).
const SUITES = ['time', 'semvercompare', 'semverisvalid', 'strings/test-anyprefixmatch.yaml', 'strings/test-anysuffixmatch.yaml'];

interface Exception {
  readonly reason: string;
  /** Text the failure must contain, so that a case failing for another reason is not excused. */
  readonly failsWith: string;
}

/** A case needing a builtin that is neither native, the SDK's nor provided here: opa build rejects it. */
function notProvided(builtin: string): Exception {
  return {
    reason: `needs ${builtin}, which portcullis does not provide, so opa build rejects it under tools/opa/capabilities.json`,
    failsWith: `undefined function ${builtin}`,
  };
}

/** Known failures by note. */
const EXCEPTIONS: ReadonlyMap<string, Exception> = new Map([
  ['time/time caching', { reason: 'calls test.sleep, a builtin of OPA’s own test harness only', failsWith: 'undefined function test.sleep' }],
  ['time/parse_nanos', notProvided('time.parse_ns')],
  ['time/parse_nanos_too_small', notProvided('time.parse_ns')],
  ['time/parse_nanos_too_large', notProvided('time.parse_ns')],
  ['time/parse duration nanos', notProvided('time.parse_duration_ns')],
  ['time/add_date year month day', notProvided('time.add_date')],
  ['time/add_date too large result', notProvided('time.add_date')],
  ['time/add_date negative values', notProvided('time.add_date')],
  ['time/add_date too small result', notProvided('time.add_date')],
  ['time/diff', notProvided('time.diff')],
  ['time/format', notProvided('time.format')],
  ['time/format too big', notProvided('time.format')],
]);

/** Few enough opa builds at once to leave room for the other test files running alongside. */
const CONCURRENCY = 4;

describe('OPA conformance cases for the host builtins', () => {
  const cases: OpaCase[] = SUITES.flatMap(loadCases);
  const outcomes = new Map<OpaCase, Outcome>();

  before(async () => {
    const queue = [...cases];
    const worker = async (): Promise<void> => {
      for (let c = queue.shift(); c; c = queue.shift()) outcomes.set(c, await runCase(c));
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  });

  it('covers every suite', () => {
    for (const suite of SUITES)
      assert.ok(
        cases.some((c) => c.file.startsWith(suite)),
        `no cases in ${suite}`,
      );
    const notes = new Set(cases.map((c) => c.note));
    for (const note of EXCEPTIONS.keys()) assert.ok(notes.has(note), `exception for an unknown case: ${note}`);
  });

  cases.forEach((c, i) => {
    const exception = EXCEPTIONS.get(c.note);
    it(`${c.file} #${i}: ${c.note}${exception ? ' (known failure)' : ''}`, () => {
      const outcome = outcomes.get(c);
      assert.ok(outcome, 'not run');
      if (exception) {
        assert.equal(outcome.ok, false, `passes now; drop its exception (${exception.reason})`);
        assert.ok(outcome.reason.includes(exception.failsWith), `fails for another reason than ${exception.failsWith}: ${outcome.reason}`);
      } else {
        assert.ok(outcome.ok, outcome.ok ? '' : outcome.reason);
      }
    });
  });
});
