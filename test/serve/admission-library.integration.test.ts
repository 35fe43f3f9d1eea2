import assert from 'node:assert/strict';
import { copyFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { pino } from 'pino';
import request from 'supertest';
import { DEFAULT_READ_LIMITS } from '../../src/bundle/index.js';
import { MemoryScanResults } from '../../src/gatekeeper/index.js';
import { BundleRegistry, createApp } from '../../src/serve/index.js';
import { digest, KUBERNETES_CONFIG, review, trivyReport } from '../gatekeeper/admission-fixture.js';
import { buildWithOpa } from '../helpers/opa.js';
import { REPO } from '../helpers/processes.js';

// The admission webhook with the image policy library as shipped
// (bundles/image-scan.yaml, example settings): the same fixable CRITICAL
// vulnerability blocks a Pod in a prod namespace and only warns in dev.
describe('admission through the shipped image policy library', () => {
  let callback: ReturnType<ReturnType<typeof createApp>['callback']>;
  const image = `ghcr.io/acme/api@${digest(77)}`;

  before(async () => {
    const built = (await buildWithOpa(join(REPO, 'bundles'))).find((r) => r.name === 'image-scan');
    assert.ok(built);
    const dir = await mkdtemp(join(tmpdir(), 'portcullis-admission-library-'));
    await copyFile(built.path, join(dir, 'image-scan.tar.gz'));
    const logger = pino({ level: 'silent' });
    const registry = new BundleRegistry({ dir, limits: DEFAULT_READ_LIMITS, logger, rescanIntervalMs: 60_000 });
    await registry.refresh();
    callback = createApp({ registry, logger, kubernetes: { config: KUBERNETES_CONFIG, scans: new MemoryScanResults() } }).callback();
    const upload = await request(callback)
      .post('/v1/reports')
      .send({ image, report: trivyReport(image, ['CVE-2024-4242']) });
    assert.equal(upload.status, 201, upload.text);
  });

  const admit = async (namespace: string) => {
    const res = await request(callback)
      .post('/v1/admission')
      .send(review({ containers: [image], namespace, uid: `uid-${namespace}` }));
    assert.equal(res.status, 200, res.text);
    return res.body.response as { allowed: boolean; status?: { message: string }; warnings?: string[] };
  };

  it('denies the fixable CRITICAL vulnerability in prod', async () => {
    const answer = await admit('payments');
    assert.equal(answer.allowed, false);
    assert.match(answer.status?.message ?? '', /CVE-2024-4242/);
  });

  it('only warns about it in dev', async () => {
    const answer = await admit('sandbox');
    assert.doesNotMatch(answer.status?.message ?? '', /CVE-2024-4242/);
    assert.ok(
      (answer.warnings ?? []).some((w) => w.includes('CVE-2024-4242')),
      JSON.stringify(answer),
    );
  });
});
