// The validating webhook on the shared AdmissionReview fixtures and on
// generated reviews, with scans uploaded through POST /v1/reports and a
// stand-in image policy (test/gatekeeper/policy) built with the real opa.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import request from 'supertest';
import { admissionApp, digest, review, SHARED, trivyReport, type AdmissionApp, type ReviewSpec } from '../gatekeeper/admission-fixture.js';

const CLEAN = `registry.example.com/shop/api@${digest(1)}`;
const CRITICAL = `registry.example.com/shop/pay@${digest(2)}`;
const EXCEPTED = `registry.example.com/shop/ledger@${digest(3)}`;
const EXPIRED = `registry.example.com/shop/audit@${digest(4)}`;
const UNSCANNED = `registry.example.com/shop/new@${digest(5)}`;

interface Answer {
  readonly apiVersion: string;
  readonly kind: string;
  readonly response: { uid: string; allowed: boolean; status?: { code: number; message: string }; warnings?: string[] };
}

async function upload(app: AdmissionApp, image: string, critical: readonly string[]): Promise<void> {
  const res = await request(app.callback)
    .post('/v1/reports')
    .send({ image, report: trivyReport(image, critical) });
  assert.equal(res.status, 201, res.text);
}

async function admit(app: AdmissionApp, body: unknown): Promise<Answer['response']> {
  const res = await request(app.callback)
    .post('/v1/admission')
    .send(body as object);
  assert.equal(res.status, 200, res.text);
  const answer = res.body as Answer;
  assert.equal(answer.apiVersion, 'admission.k8s.io/v1');
  assert.equal(answer.kind, 'AdmissionReview');
  return answer.response;
}

const reviewed = (app: AdmissionApp, spec: ReviewSpec) => admit(app, review(spec));

describe('POST /v1/admission', () => {
  let app: AdmissionApp;
  before(async () => {
    app = await admissionApp();
    await upload(app, CLEAN, []);
    await upload(app, CRITICAL, ['CVE-2024-0001']);
    await upload(app, EXCEPTED, ['CVE-2024-0002']);
    await upload(app, EXPIRED, ['CVE-2024-0003']);
  });

  describe('shared fixtures', () => {
    it('denies the sidecar-injector Pod (ECR images, a :latest tag, no scans) and echoes its uid', async () => {
      const body = JSON.parse(await readFile(join(SHARED, 'admission/generic-sidecar-injector__admissionreview.json'), 'utf8'));
      const res = await admit(app, body);
      assert.equal(res.uid, 'e94a7790-a4fc-11e9-a276-42010a3e0104');
      assert.equal(res.allowed, false);
      assert.equal(res.status?.code, 403);
      assert.match(res.status?.message ?? '', /^portcullis denied Pod keymaker\/keymaker-keymaker-769579fd65-: /);
      assert.match(res.status?.message ?? '', /registry 'gcr\.io' of image 'gcr\.io\/gsf-mgmt-devmvp-spinnaker\/dva\/keymaker-client:latest' is not allowed/);
      assert.match(res.status?.message ?? '', /'791719295754\.dkr\.ecr\.us-east-2\.amazonaws\.com\/dva\/pki_aws_bootstrap:6' is not pinned/);
      assert.match(res.status?.message ?? '', /\(and \d+ more\)$/);
      assert.ok((res.status?.message.length ?? 0) <= 1024);
    });

    it('refuses the bare Kubewarden-style AdmissionRequest with a 400 naming the envelope', async () => {
      const body = JSON.parse(await readFile(join(SHARED, 'admission/pod-privileged-policy__no_privileged_containers.json'), 'utf8'));
      const res = await request(app.callback).post('/v1/admission').send(body);
      assert.equal(res.status, 400);
      assert.equal(res.body.code, 'REQUEST_INVALID');
      assert.match(res.body.message, /not an AdmissionReview: kind must be AdmissionReview/);
    });

    it('evaluates the same request once wrapped in an AdmissionReview: alpine and nginx from Docker Hub are denied', async () => {
      const requestBody = JSON.parse(await readFile(join(SHARED, 'admission/pod-privileged-policy__no_privileged_containers.json'), 'utf8'));
      const res = await admit(app, { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: requestBody });
      assert.equal(res.uid, '1299d386-525b-4032-98ae-1949f69f9cfc');
      assert.equal(res.allowed, false);
      assert.match(res.status?.message ?? '', /^portcullis denied Pod default\/nginx: /);
      for (const reason of [
        "image 'alpine' uses the mutable tag 'latest'",
        "registry 'docker.io' of image 'nginx' is not allowed",
        "image 'alpine' has no stored scan result (it is not pinned by digest)",
      ]) {
        assert.ok(res.status?.message.includes(reason), reason);
      }
    });
  });

  describe('generated reviews', () => {
    it('admits a pinned, scanned, clean image without warnings', async () => {
      const res = await reviewed(app, { containers: [CLEAN], uid: 'uid-clean' });
      assert.deepEqual(res, { uid: 'uid-clean', allowed: true });
    });

    it('denies a mutable tag', async () => {
      const res = await reviewed(app, { containers: ['registry.example.com/shop/api:latest'] });
      assert.equal(res.allowed, false);
      assert.match(res.status?.message ?? '', /image 'registry\.example\.com\/shop\/api:latest' uses the mutable tag 'latest'/);
    });

    it('denies a missing digest', async () => {
      const res = await reviewed(app, { containers: ['registry.example.com/shop/api:1.4.2'] });
      assert.equal(res.allowed, false);
      assert.match(res.status?.message ?? '', /is not pinned by a digest/);
    });

    it('denies a disallowed registry', async () => {
      const res = await reviewed(app, { containers: [`quay.io/shop/api@${digest(1)}`] });
      assert.equal(res.allowed, false);
      assert.match(res.status?.message ?? '', /registry 'quay\.io' of image 'quay\.io\/shop\/api@sha256:0+1' is not allowed/);
    });

    it('denies a pinned image without a stored scan', async () => {
      const res = await reviewed(app, { containers: [UNSCANNED] });
      assert.equal(res.allowed, false);
      assert.equal(res.status?.message, `portcullis denied Pod payments/shop: image '${UNSCANNED}' has no stored scan result`);
    });

    it('only warns about unscanned images when configured to', async () => {
      const lenient = await admissionApp({ unscanned: 'warn' });
      const res = await reviewed(lenient, { containers: [UNSCANNED] });
      assert.equal(res.allowed, true);
      assert.deepEqual(res.warnings, [`image '${UNSCANNED}' has no stored scan result`]);
    });

    it('denies critical fixable CVEs in a prod namespace', async () => {
      const res = await reviewed(app, { namespace: 'payments', containers: [CRITICAL] });
      assert.equal(res.allowed, false);
      assert.equal(res.status?.message, 'portcullis denied Pod payments/shop: CVE-2024-0001 in openssl is CRITICAL; fixed in 3.1.4-r0');
    });

    it('only warns about the same CVEs in a dev namespace', async () => {
      const res = await reviewed(app, { namespace: 'sandbox', containers: [CRITICAL] });
      assert.equal(res.allowed, true);
      assert.deepEqual(res.warnings, ['CVE-2024-0001 in openssl is CRITICAL; fixed in 3.1.4-r0']);
    });

    it('admits an image whose CVE an exception covers', async () => {
      const res = await reviewed(app, { namespace: 'payments', containers: [EXCEPTED] });
      assert.deepEqual(res, { uid: res.uid, allowed: true });
    });

    it('denies once the exception has expired and says so in a warning', async () => {
      const res = await reviewed(app, { namespace: 'payments', containers: [EXPIRED] });
      assert.equal(res.allowed, false);
      assert.match(res.status?.message ?? '', /CVE-2024-0003 in openssl is CRITICAL/);
      assert.deepEqual(res.warnings, ['exception for vulnerability_severity expired on 2024-01-01 and no longer applies']);
    });

    it('checks init containers', async () => {
      const res = await reviewed(app, { containers: [CLEAN], initContainers: ['busybox:1.36'] });
      assert.equal(res.allowed, false);
      assert.match(res.status?.message ?? '', /registry 'docker\.io' of image 'busybox:1\.36' is not allowed/);
    });

    it('checks ephemeral containers', async () => {
      const res = await reviewed(app, { containers: [CLEAN], ephemeralContainers: [`registry.example.com/tools/debug@${digest(9)}`] });
      assert.equal(res.allowed, false);
      assert.match(res.status?.message ?? '', /tools\/debug@sha256:0+9' has no stored scan result/);
    });

    it('checks the pod template of a CronJob', async () => {
      const res = await reviewed(app, { kind: 'CronJob', containers: ['registry.example.com/shop/report:dev'] });
      assert.equal(res.allowed, false);
      assert.match(res.status?.message ?? '', /^portcullis denied CronJob payments\/shop: .*mutable tag 'dev'/);
    });

    it('admits a Deployment of a clean image and denies one with a critical CVE', async () => {
      assert.equal((await reviewed(app, { kind: 'Deployment', containers: [CLEAN] })).allowed, true);
      const denied = await reviewed(app, { kind: 'Deployment', containers: [CLEAN, CRITICAL] });
      assert.equal(denied.allowed, false);
      assert.match(denied.status?.message ?? '', /^portcullis denied Deployment payments\/shop: CVE-2024-0001/);
    });

    for (const kind of ['StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job']) {
      it(`checks the pod template of a ${kind}`, async () => {
        const res = await reviewed(app, { kind, containers: [`registry.example.com/shop/api:latest`] });
        assert.equal(res.allowed, false);
        assert.match(res.status?.message ?? '', new RegExp(`^portcullis denied ${kind} payments/shop: `));
      });
    }

    it('lists warn-mode findings of a dev namespace as warnings', async () => {
      const res = await reviewed(app, { namespace: 'sandbox', containers: [`registry.example.com/shop/pay:dev@${digest(2)}`] });
      assert.equal(res.allowed, true);
      assert.deepEqual(res.warnings?.sort(), [
        'CVE-2024-0001 in openssl is CRITICAL; fixed in 3.1.4-r0',
        `image 'registry.example.com/shop/pay:dev@${digest(2)}' uses the mutable tag 'dev'`,
      ]);
    });

    it('evaluates a dry run the same way', async () => {
      const res = await reviewed(app, { containers: [CRITICAL], dryRun: true, uid: 'uid-dry' });
      assert.equal(res.uid, 'uid-dry');
      assert.equal(res.allowed, false);
    });

    it('admits DELETE and non-workload objects without evaluating them', async () => {
      assert.equal((await reviewed(app, { containers: ['nginx'], operation: 'DELETE' })).allowed, true);
      const configMap = review({ containers: [] });
      const req = configMap['request'] as Record<string, unknown>;
      req['object'] = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { image: 'nginx' } };
      assert.equal((await admit(app, configMap)).allowed, true);
    });

    it('names at most five reasons and counts the rest', async () => {
      const images = Array.from({ length: 8 }, (_, i) => `quay.io/team/app${i}:1.0`);
      const res = await reviewed(app, { containers: images });
      assert.equal(res.allowed, false);
      assert.match(res.status?.message ?? '', /\(and \d+ more\)$/);
    });
  });
});
