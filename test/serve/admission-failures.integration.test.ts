// The webhook when things go wrong: fail-closed and fail-open evaluation
// failures, malformed reviews (4xx JSON, never a 500) and dry runs.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import request from 'supertest';
import type { DecisionPolicy } from '../../src/check/index.js';
import { DEFAULT_ADMISSION_OPTIONS, MemoryScanResults, reviewAdmission, type AdmissionRecord } from '../../src/gatekeeper/index.js';
import { admissionApp, digest, review, type AdmissionApp, type ReviewSpec } from '../gatekeeper/admission-fixture.js';

const CLEAN = `registry.example.com/shop/api@${digest(1)}`;

async function reviewed(app: AdmissionApp, spec: ReviewSpec): Promise<{ uid: string; allowed: boolean; status?: { message: string }; warnings?: string[] }> {
  const res = await request(app.callback).post('/v1/admission').send(review(spec));
  assert.equal(res.status, 200, res.text);
  return res.body.response;
}

describe('POST /v1/admission, failures', () => {
  let app: AdmissionApp;
  before(async () => {
    app = await admissionApp();
  });

  describe('failure policy', () => {
    it('fails closed by default when no decision policy is published', async () => {
      const broken = await admissionApp({}, false);
      const res = await reviewed(broken, { containers: [CLEAN] });
      assert.equal(res.allowed, false);
      assert.match(res.status?.message ?? '', /the image policy could not be evaluated: no published bundle provides portcullis\/scan\/decision/);
    });

    it('fails open with a warning when failure_policy is Ignore', async () => {
      const open = await admissionApp({ failurePolicy: 'Ignore' }, false);
      const res = await reviewed(open, { containers: [CLEAN] });
      assert.equal(res.allowed, true);
      assert.match(res.warnings?.[0] ?? '', /could not be evaluated.*admitted because the failure policy is Ignore/);
    });
  });

  describe('malformed reviews are 4xx JSON, never 500', () => {
    const cases: ReadonlyArray<readonly [string, string | object, RegExp]> = [
      ['not JSON', '{"apiVersion": ', /not valid JSON/],
      ['a list', [], /must be a JSON object/],
      [
        'v1beta1',
        { apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: { uid: 'x', operation: 'CREATE' } },
        /apiVersion must be admission\.k8s\.io\/v1/,
      ],
      ['no request', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, /request must be an object/],
      ['no uid', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { operation: 'CREATE' } }, /request\.uid/],
      [
        'a Pod without spec',
        {
          apiVersion: 'admission.k8s.io/v1',
          kind: 'AdmissionReview',
          request: { uid: 'x', operation: 'CREATE', object: { kind: 'Pod', metadata: { name: 'p' } } },
        },
        /has no pod spec/,
      ],
    ];
    for (const [name, body, message] of cases) {
      it(name, async () => {
        const res = await request(app.callback)
          .post('/v1/admission')
          .set('Content-Type', 'application/json')
          .send(typeof body === 'string' ? body : JSON.stringify(body));
        assert.ok(res.status >= 400 && res.status < 500, `${res.status} ${res.text}`);
        assert.match(res.body.message, message);
      });
    }
  });

  describe('dry runs', () => {
    const allowAll: DecisionPolicy = {
      evaluate: () => ({ defined: true, result: { decision: 'allow', violations: [], warnings: [], exceptions: [], expired_exceptions: [] } }),
    };
    const run = async (dryRun: boolean) => {
      const records: AdmissionRecord[] = [];
      const answer = await reviewAdmission(review({ containers: [CLEAN], dryRun }), {
        scans: new MemoryScanResults(),
        policy: async () => allowAll,
        namespaceLabels: async () => ({}),
        options: { ...DEFAULT_ADMISSION_OPTIONS, unscanned: 'warn' },
        onDecision: (r) => records.push(r),
      });
      return { answer, records };
    };

    it('are answered like real requests but leave no decision record', async () => {
      const real = await run(false);
      const dry = await run(true);
      assert.deepEqual({ ...(dry.answer['response'] as object), uid: 'x' }, { ...(real.answer['response'] as object), uid: 'x' });
      assert.equal(real.records.length, 1);
      assert.equal(dry.records.length, 0);
    });
  });
});
