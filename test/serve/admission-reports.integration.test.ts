// POST /v1/reports and GET /v1/reports/<digest>: scan results from CI,
// decided by the served policy and stored by digest with their history.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { admissionApp, digest, trivyReport, type AdmissionApp } from '../gatekeeper/admission-fixture.js';

describe('POST /v1/reports', () => {
  let app: AdmissionApp;
  before(async () => {
    app = await admissionApp();
  });
  after(() => app.registry.stop());

  const upload = (body: object) => request(app.callback).post('/v1/reports').send(body);

  it('stores a report under the digest of the reference and answers with the decision', async () => {
    const image = `registry.example.com/shop/api@${digest(7)}`;
    const res = await upload({ image, report: trivyReport(image, ['CVE-2024-0001']) });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.digest, digest(7));
    assert.equal(res.body.image, image);
    assert.equal(res.body.decision.decision, 'allow');
    assert.equal(res.body.decision.warnings[0].id, 'CVE-2024-0001');
  });

  it('takes the digest from the report when the reference has none (RepoDigests)', async () => {
    const report = { ...trivyReport('registry.example.com/shop/web:2.1', []), Metadata: { RepoDigests: [`registry.example.com/shop/web@${digest(8)}`] } };
    const res = await upload({ image: 'registry.example.com/shop/web:2.1', report, format: 'trivy' });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.digest, digest(8));
  });

  it('replaces the current result on re-upload and keeps the history, newest first', async () => {
    const image = `registry.example.com/shop/pay@${digest(9)}`;
    assert.equal((await upload({ image, report: trivyReport(image, ['CVE-2024-0001']) })).status, 201);
    assert.equal((await upload({ image, report: trivyReport(image, []) })).status, 201);
    const res = await request(app.callback).get(`/v1/reports/${digest(9)}`);
    assert.equal(res.status, 200);
    assert.equal(res.body.results.length, 2);
    assert.deepEqual(
      res.body.results.map((r: { decision: { warnings: unknown[] } }) => r.decision.warnings.length),
      [0, 1],
    );
    assert.equal((await app.scans.get(digest(9)))?.decision.warnings.length, 0);
  });

  it('refuses uploads it cannot key or read, with 4xx JSON', async () => {
    const cases: ReadonlyArray<readonly [object, RegExp]> = [
      [{ report: {} }, /"image" must be an image reference/],
      [{ image: 'Not A Ref', report: {} }, /"image" must be an image reference/],
      [{ image: 'registry.example.com/shop/api:1.0' }, /"report" is missing/],
      [{ image: 'registry.example.com/shop/api:1.0', report: trivyReport('x', []) }, /no sha256 digest for registry\.example\.com\/shop\/api:1\.0/],
      [{ image: `registry.example.com/shop/api@${digest(1)}`, report: { hello: 'world' } }, /report/],
    ];
    for (const [body, message] of cases) {
      const res = await upload(body);
      assert.ok(res.status >= 400 && res.status < 500, `${res.status} ${res.text}`);
      assert.match(res.body.message, message);
    }
  });

  it('GET /v1/reports/<digest>: 400 for a malformed digest, 404 for an unknown one', async () => {
    assert.equal((await request(app.callback).get('/v1/reports/sha256:xyz')).status, 400);
    const missing = await request(app.callback).get(`/v1/reports/${digest(4242)}`);
    assert.equal(missing.status, 404);
    assert.match(missing.body.message, /no scan result is stored/);
  });
});
