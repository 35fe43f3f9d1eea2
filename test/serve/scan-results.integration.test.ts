import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import request from 'supertest';
import { StoreScanResults } from '../../src/serve/scan-results.js';
import { openStore, type Store } from '../../src/store/index.js';
import { admissionApp, digest, review, trivyReport } from '../gatekeeper/admission-fixture.js';

// Scan results uploaded by CI live in the server's store: after a restart
// (a new app over the same database) the history is still there and
// admission still finds the image's scan.
describe('scan results in the store', () => {
  const image = `registry.example.com/shop/api@${digest(42)}`;

  async function withApp<T>(path: string, work: (app: Awaited<ReturnType<typeof admissionApp>>) => Promise<T>): Promise<T> {
    const store: Store = await openStore({ driver: 'sqlite', path });
    try {
      return await work(await admissionApp({}, true, new StoreScanResults(store)));
    } finally {
      await store.close();
    }
  }

  it('survive a restart, history included, and admission uses them', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'portcullis-scans-')), 'portcullis.db');
    await withApp(path, async (app) => {
      for (const critical of [['CVE-2024-0001'], []]) {
        const res = await request(app.callback)
          .post('/v1/reports')
          .send({ image, report: trivyReport(image, critical) });
        assert.equal(res.status, 201, res.text);
      }
    });
    await withApp(path, async (app) => {
      const history = await request(app.callback).get(`/v1/reports/${digest(42)}`);
      assert.equal(history.status, 200, history.text);
      assert.equal(JSON.stringify(history.body).includes('CVE-2024-0001'), true, 'the first upload is kept as history');
      const review_ = await request(app.callback)
        .post('/v1/admission')
        .send(review({ containers: [image], uid: 'uid-restart' }));
      assert.equal(review_.status, 200, review_.text);
      assert.deepEqual(review_.body.response, { uid: 'uid-restart', allowed: true }, 'the latest (clean) scan is found after the restart');
    });
  });
});
