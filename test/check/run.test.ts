import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkRequestFromBody, evaluateDecision, withSettings, type DecisionPolicy } from '../../src/check/index.js';
import { AppError, canonicalJson, JsonNumber, type JsonValue } from '../../src/core/index.js';
import { normalize, type NormalizedInput } from '../../src/inputs/index.js';

const isCode = (code: string) => (err: unknown) => err instanceof AppError && err.code === code;

const NOW = '2026-01-02T03:04:05Z';
const input: NormalizedInput = normalize({ now: NOW, dockerfile: { path: 'Dockerfile', bytes: Buffer.from('FROM alpine:3.20\n') } });

/** A policy double: returns what it is given, and records what it was asked. */
function fakePolicy(result: { defined: true; result: unknown } | { defined: false }) {
  const calls: { entrypoint: string; now: Date | undefined }[] = [];
  const policy: DecisionPolicy = {
    evaluate: (entrypoint, _input, options) => {
      calls.push({ entrypoint, now: options?.now });
      return result;
    },
  };
  return { policy, calls };
}

const ALLOW = { decision: 'allow', violations: [], warnings: [], exceptions: [], expired_exceptions: [] };

describe('evaluateDecision', () => {
  it('evaluates portcullis/scan/decision with time.now_ns fixed to the input time', () => {
    const { policy, calls } = fakePolicy({ defined: true, result: ALLOW });
    assert.deepEqual(evaluateDecision(policy, input), ALLOW);
    assert.deepEqual(calls, [{ entrypoint: 'portcullis/scan/decision', now: new Date(NOW) }]);
  });

  it('refuses an undefined or malformed decision with DECISION_INVALID', () => {
    assert.throws(() => evaluateDecision(fakePolicy({ defined: false }).policy, input), isCode('DECISION_INVALID'));
    assert.throws(() => evaluateDecision(fakePolicy({ defined: true, result: { ...ALLOW, decision: 'maybe' } }).policy, input), isCode('DECISION_INVALID'));
    const noRule = { ...ALLOW, violations: [{ message: 'x', severity: 'HIGH', enforcement: 'deny' }] };
    assert.throws(() => evaluateDecision(fakePolicy({ defined: true, result: noRule }).policy, input), isCode('DECISION_INVALID'));
  });
});

describe('withSettings', () => {
  const data: Record<string, JsonValue> = {
    portcullis: {
      scan: { settings: { severity_rank: 4, rules: { a: 'deny', b: 'warn' }, ports: [22], big: new JsonNumber('12345678901234567890') } },
      other: { x: 1 },
    },
  };

  it('merges objects key by key and replaces everything else, leaving the bundle data untouched', () => {
    const merged = withSettings(data, { rules: { b: 'off' }, ports: [2375] }, 'override.yaml');
    assert.equal(
      canonicalJson(merged),
      canonicalJson({
        portcullis: {
          scan: { settings: { severity_rank: 4, rules: { a: 'deny', b: 'off' }, ports: [2375], big: new JsonNumber('12345678901234567890') } },
          other: { x: 1 },
        },
      }),
    );
    assert.deepEqual((data['portcullis'] as { scan: { settings: { rules: unknown } } }).scan.settings.rules, { a: 'deny', b: 'warn' });
  });

  it('creates the settings when the bundle has none, and refuses a non-object', () => {
    assert.deepEqual(withSettings({}, { severity_rank: 3 }, 'x'), { portcullis: { scan: { settings: { severity_rank: 3 } } } });
    assert.throws(() => withSettings(data, ['a'], 'x.yaml'), isCode('INPUT_INVALID'));
    assert.throws(() => withSettings(data, null, 'x.yaml'), isCode('INPUT_INVALID'));
  });
});

describe('checkRequestFromBody', () => {
  const now = new Date('2026-05-05T00:00:00Z');

  it('accepts reports as objects, text or {name, format, content}, and names each input', () => {
    const request = checkRequestFromBody(
      {
        reports: [{ SchemaVersion: 2 }, '{"matches": []}', { name: 'grype.json', format: 'grype', content: { matches: [] } }],
        dockerfile: 'FROM x\n',
        metadata: { namespace: 'prod' },
      },
      now,
    );
    assert.deepEqual(
      request.reports?.map((r) => [r.path, r.format, 'document' in r ? r.document : Buffer.from(r.bytes).toString()]),
      [
        ['report[0]', undefined, { SchemaVersion: 2 }],
        ['report[1]', undefined, '{"matches": []}'],
        ['grype.json', 'grype', { matches: [] }],
      ],
    );
    assert.equal(request.dockerfile?.path, 'Dockerfile');
    assert.equal(Buffer.from(request.metadata?.bytes ?? []).toString(), '{"namespace":"prod"}');
    assert.equal(request.now, now);
  });

  it('bounds the nesting of a parsed report by the depth the body was checked to, two levels less', () => {
    const body = { reports: [{ SchemaVersion: 2 }, '{"matches": []}', { name: 'grype.json', content: { matches: [] } }] };
    const nesting = (request: ReturnType<typeof checkRequestFromBody>) => request.reports?.map((r) => ('document' in r ? r.nestedAtMost : 'file'));
    assert.deepEqual(nesting(checkRequestFromBody(body, now, 128)), [126, 'file', 126]);
    assert.deepEqual(nesting(checkRequestFromBody(body, now)), [undefined, 'file', undefined]);
  });

  it('applies the body-level format to reports without their own', () => {
    const request = checkRequestFromBody({ reports: ['{}', { content: '{}', format: 'grype' }], format: 'trivy', now: NOW }, now);
    assert.deepEqual(
      request.reports?.map((r) => ('format' in r ? r.format : undefined)),
      ['trivy', 'grype'],
    );
    assert.equal(request.now, NOW);
  });

  it('names every wrong field with REQUEST_INVALID', () => {
    for (const body of [
      null,
      [],
      'x',
      { reports: {} },
      { reports: [1] },
      { dockerfile: 3 },
      { now: 5 },
      { extra: true },
      { reports: [{ content: 'x', extra: 1 }] },
    ]) {
      assert.throws(() => checkRequestFromBody(body, now), isCode('REQUEST_INVALID'), JSON.stringify(body));
    }
  });
});
