import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { replayCases, type PolicyPair } from '../../src/review/evaluator.js';
import { wasmPolicy } from '../evaluate/wasm-build.js';

// A decision that takes its gate's entries from input.report_entries when
// given, as the image-scan library does; the head version tightens the gate.
const rego = (severities: string) => `package portcullis.scan

gated := {${severities}}

entries := input.report_entries if {
	is_array(input.report_entries)
} else := [[v.id, {"rule": "gate", "message": v.id, "severity": v.severity, "enforcement": "deny"}] |
	some v in input.vulnerabilities
	v.severity in gated
]

default verdict := "allow"

verdict := "deny" if count(entries) > 0

decision := {"decision": verdict, "violations": [e[1] | some e in entries], "warnings": []}
`;

describe('review replay of a recorded input that carries report entries', () => {
  let pair: PolicyPair;
  before(async () => {
    const [base, head] = await Promise.all([rego('"CRITICAL"'), rego('"CRITICAL", "HIGH"')].map((r) => wasmPolicy(r, ['portcullis/scan/decision'])));
    pair = {
      base,
      head,
      setup: { base: new Uint8Array(), head: new Uint8Array(), entrypoint: 'portcullis/scan/decision', now: '2026-06-01T00:00:00Z' },
    } as PolicyPair;
  });

  it('evaluates each version on the report, not on the entries the recording version gave', () => {
    // Recorded where the base version decided it: a HIGH vulnerability, no entries, allowed.
    const input = { vulnerabilities: [{ id: 'CVE-1', severity: 'HIGH' }], report_entries: [] };
    const { changes } = replayCases(pair, [{ id: 'recorded', source: 'decision log', input: JSON.stringify(input) }]);
    assert.equal(changes.length, 1, 'the tightened gate shows');
    assert.equal(changes[0]?.base, 'allow');
    assert.equal(changes[0]?.head, 'deny');
    const event = { decision_id: 'd1', input };
    const fromEvent = replayCases(pair, [{ id: 'event', source: 'decision log', input: JSON.stringify(event), event: true }]);
    assert.equal(fromEvent.changes[0]?.head, 'deny');
  });
});
