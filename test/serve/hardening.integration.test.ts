import assert from 'node:assert/strict';
import { request } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REAL_FIXTURES } from '../helpers/fixtures.js';
import { buildWithOpa } from '../helpers/opa.js';
import { scratchProject } from '../helpers/project.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { syntheticTrivyReport } from '../helpers/synthetic-reports.js';

// Defects of issue 16 that need the shipped image policy (built with the real opa) behind the server.

const GRYPE = join(REAL_FIXTURES, 'reports/django-DefectDojo__anchore_grype__check_all_fields.json');
const TRIVY = join(REAL_FIXTURES, 'reports/django-DefectDojo__trivy__issue_9333.json');

describe('hardened serve with the image policy', () => {
  let app: TestServer;
  before(async () => {
    const project = await scratchProject();
    const built = (await buildWithOpa(join(project, 'bundles'))).find((r) => r.name === 'image-scan');
    assert.ok(built);
    app = await startTestServer({ bundles: { 'image-scan': new Uint8Array(await readFile(built.path)) } });
  });
  after(() => app.close());

  const check = async (body: unknown) => {
    const res = await fetch(`${app.url}/v1/check`, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
    return { status: res.status, text: await res.text() };
  };

  it('decides on a Grype imageSize of 2^31 or more (a synthetic copy of a real report)', async () => {
    const report = JSON.parse(await readFile(GRYPE, 'utf8')) as { source: { target: { imageSize: number } } };
    report.source.target.imageSize = 2 ** 31 + 5;
    const res = await check({ reports: [report], now: '2026-11-28T12:00:00Z' });
    assert.equal(res.status, 200, res.text.slice(0, 300));
    assert.match(res.text, /is 2147483653 bytes, more than the 1073741824 allowed/);
  });

  it('names a lone surrogate inside an inline report with 400, before it reaches the policy', async () => {
    const text = (await readFile(TRIVY, 'utf8')).replace(/"Title": ?"[^"]*"/, '"Title": "bad \\ud800"');
    const res = await check({ reports: [text] });
    assert.equal(res.status, 400, res.text.slice(0, 300));
    assert.match(res.text, /lone UTF-16 surrogate/);
  });

  it('keeps /health answering while a 60 MB report is parsed and decided', async () => {
    // About 10,000 findings: the normalized input stays under limits.max_input_bytes, so the report is really decided.
    const body = Buffer.from(JSON.stringify({ reports: [JSON.parse(syntheticTrivyReport(60 * 1024 * 1024, { descriptionBytes: 5800 }))] }));
    const health: number[] = [];
    let checked: { status: number; at: number } | undefined;
    let sentAt = 0;
    const done = new Promise<void>((resolve, reject) => {
      const req = request(`${app.url}/v1/check`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': body.length } });
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => {
          checked = { status: res.statusCode ?? 0, at: Date.now() };
          resolve();
        });
      });
      req.on('error', reject);
      req.end(body, () => (sentAt = Date.now()));
    });
    // Ping /health until the check is answered, one request at a time.
    const pings = (async () => {
      while (!checked) {
        if (sentAt > 0) {
          await fetch(`${app.url}/health`);
          if (!checked) health.push(Date.now());
        } else await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    await done;
    await pings;
    assert.ok(checked);
    assert.equal(checked.status, 200);
    const busy = checked.at - sentAt;
    // Every gap between answers while the report was decided is short next to the whole decision.
    const gaps = [sentAt, ...health, checked.at].slice(1).map((t, i) => t - ([sentAt, ...health][i] as number));
    assert.ok(health.length >= 3, `only ${health.length} /health answers during ${busy} ms of work`);
    assert.ok(Math.max(...gaps) < busy / 2, `/health waited ${Math.max(...gaps)} ms of the ${busy} ms the check took`);
  });
});
