import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import request from 'supertest';
import { DEFAULT_READ_LIMITS } from '../../src/bundle/index.js';
import { BundleRegistry, createApp } from '../../src/serve/index.js';
import { buildFixtureBundle, JUICE_SHOP, SHARED } from '../fixtures/check/bundle.js';
import { sarifErrors } from '../report/sarif-schema.js';

const logger = pino({ level: 'silent' });
const NOW = '2024-11-01T00:00:00Z';

describe('POST /v1/check', () => {
  let registry: BundleRegistry;
  let server: ReturnType<ReturnType<typeof createApp>['callback']>;
  let juiceShop: unknown;
  let dockerfile: string;

  before(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portcullis-check-route-'));
    await copyFile(await buildFixtureBundle(), join(dir, 'image-scan.tar.gz'));
    registry = new BundleRegistry({ dir, limits: DEFAULT_READ_LIMITS, logger, rescanIntervalMs: 60_000 });
    await registry.refresh();
    server = createApp({ registry, logger, limits: { requests: { maxBodyBytes: 4 * 1024 * 1024, maxDepth: 128 } } }).callback();
    juiceShop = JSON.parse(await readFile(JUICE_SHOP, 'utf8'));
    dockerfile = await readFile(join(SHARED, 'dockerfiles/conftest__examples-docker__Dockerfile'), 'utf8');
  });
  after(() => registry.stop());

  it('decides on a report given as a JSON object, with the json report shape', async () => {
    const res = await request(server)
      .post('/v1/check')
      .send({ reports: [juiceShop], dockerfile, now: NOW });
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers['content-type'] ?? '', /^application\/json/);
    assert.equal(res.body.decision, 'deny');
    assert.equal(res.body.format_version, 1);
    assert.equal(res.body.target, 'bkimminich/juice-shop:v10.2.0');
    assert.equal(res.body.checked_at, '2024-11-01T00:00:00.000Z');
    assert.ok(
      res.body.violations.some(
        (v: { rule: string; location: { file: string; line: number } }) =>
          v.rule === 'run_as_root' && v.location.file === 'Dockerfile' && v.location.line === 1,
      ),
    );
    assert.match(res.headers['x-portcullis-bundle'] ?? '', /^image-scan@[0-9a-f]{16}$/);
  });

  it('answers concurrent checks each with its whole report, though the buffers of written ones are handed back meanwhile', async () => {
    const body = { reports: [juiceShop], now: NOW };
    const first = await request(server).post('/v1/check').send(body);
    assert.equal(first.status, 200, first.text);
    const all = await Promise.all(Array.from({ length: 8 }, () => request(server).post('/v1/check').send(body)));
    for (const res of all) {
      assert.equal(res.status, 200, res.text);
      assert.equal(res.text, first.text);
    }
  });

  it('carries the input warnings and per-image decisions in its JSON; strict and allow_empty act as the CLI flags', async () => {
    const nullSeverity = JSON.parse(await readFile(join(SHARED, 'reports/django-DefectDojo__anchore_grype__issue_9618.json'), 'utf8'));
    const clean = JSON.parse(await readFile(join(SHARED, 'reports/secureCodeBox__juice-shop-v12.10.2-empty-results.json'), 'utf8'));
    const res = await request(server)
      .post('/v1/check')
      .send({ reports: [{ name: 'grype.json', content: nullSeverity }, clean], now: NOW });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(
      res.body.images.map((i: { target: string }) => i.target),
      ['quay.io/cloudservices/xjoin-kafka-connect-strimzi:latest', 'bkimminich/juice-shop:v12.10.2'],
    );
    assert.deepEqual(
      res.body.input_warnings.map((r: { file: string; by_code: unknown }) => [r.file, r.by_code]),
      [['grype.json', { SEVERITY_MISSING: 1 }]],
    );
    const strict = await request(server)
      .post('/v1/check')
      .send({ reports: [nullSeverity], strict: true, now: NOW });
    assert.equal(strict.status, 422);
    assert.equal(strict.body.code, 'INPUT_INCOMPLETE');
    const empty = { SchemaVersion: 2, Results: [] };
    assert.equal(
      (
        await request(server)
          .post('/v1/check')
          .send({ reports: [empty], now: NOW })
      ).body.code,
      'REPORT_EMPTY',
    );
    assert.equal(
      (
        await request(server)
          .post('/v1/check')
          .send({ reports: [empty], allow_empty: true, now: NOW })
      ).status,
      200,
    );
  });

  it('gives the same decision as the CLI path for a report given as a string with a name', async () => {
    const text = JSON.stringify(juiceShop);
    const a = await request(server)
      .post('/v1/check')
      .send({ reports: [juiceShop], now: NOW });
    const b = await request(server)
      .post('/v1/check')
      .send({ reports: [{ name: 'juice-shop.json', format: 'trivy', content: text }], now: NOW });
    assert.equal(b.status, 200, b.text);
    assert.deepEqual(b.body.violations, a.body.violations);
  });

  it('allows a clean report', async () => {
    const clean = JSON.parse(await readFile(join(SHARED, 'reports/secureCodeBox__juice-shop-v12.10.2-empty-results.json'), 'utf8'));
    const res = await request(server)
      .post('/v1/check')
      .send({ reports: [clean], now: NOW });
    assert.equal(res.status, 200);
    assert.equal(res.body.decision, 'allow');
  });

  it('renders another format with ?output=', async () => {
    const res = await request(server)
      .post('/v1/check?output=sarif')
      .send({ reports: [juiceShop], dockerfile, now: NOW });
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'] ?? '', /^application\/sarif\+json/);
    assert.equal(sarifErrors(res.text), '');
    const md = await request(server)
      .post('/v1/check?output=markdown')
      .send({ reports: [juiceShop], now: NOW });
    assert.match(md.text, /^### portcullis: ❌ \*\*deny\*\*/);
  });

  it('answers client mistakes with 4xx JSON errors, never 500', async () => {
    const cases: [string, () => request.Test, number, string][] = [
      ['malformed JSON', () => request(server).post('/v1/check').set('Content-Type', 'application/json').send('{"reports": ['), 400, 'REQUEST_INVALID'],
      ['empty body', () => request(server).post('/v1/check'), 400, 'REQUEST_INVALID'],
      ['not an object', () => request(server).post('/v1/check').send([1, 2]), 400, 'REQUEST_INVALID'],
      ['reports of the wrong type', () => request(server).post('/v1/check').send({ reports: 'x' }), 400, 'REQUEST_INVALID'],
      [
        'a report of the wrong type',
        () =>
          request(server)
            .post('/v1/check')
            .send({ reports: [42] }),
        400,
        'REQUEST_INVALID',
      ],
      [
        'an unknown field',
        () =>
          request(server)
            .post('/v1/check')
            .send({ report: [juiceShop] }),
        400,
        'REQUEST_INVALID',
      ],
      [
        'a wrapper with an extra key',
        () =>
          request(server)
            .post('/v1/check')
            .send({ reports: [{ content: '{}', extra: 1 }] }),
        400,
        'REQUEST_INVALID',
      ],
      [
        'an unparseable report',
        () =>
          request(server)
            .post('/v1/check')
            .send({ reports: ['{"SchemaVersion": 2, '] }),
        400,
        'INPUT_INVALID',
      ],
      [
        'an unknown report shape',
        () =>
          request(server)
            .post('/v1/check')
            .send({ reports: [{ hello: 'world' }] }),
        400,
        'INPUT_INVALID',
      ],
      [
        'a bad now',
        () =>
          request(server)
            .post('/v1/check')
            .send({ reports: [juiceShop], now: 'tomorrow' }),
        400,
        'USAGE',
      ],
      [
        'an unknown output',
        () =>
          request(server)
            .post('/v1/check?output=pdf')
            .send({ reports: [juiceShop] }),
        400,
        'USAGE',
      ],
      [
        'an oversized body',
        () =>
          request(server)
            .post('/v1/check')
            .send({ reports: ['x'.repeat(5 * 1024 * 1024)] }),
        413,
        'INPUT_TOO_LARGE',
      ],
    ];
    for (const [name, send, status, code] of cases) {
      const res = await send();
      assert.equal(res.status, status, `${name}: ${res.text.slice(0, 300)}`);
      assert.match(res.headers['content-type'] ?? '', /^application\/json/, name);
      assert.equal(res.body.code, code, `${name}: ${res.text.slice(0, 300)}`);
      assert.equal(typeof res.body.message, 'string', name);
    }
  });

  it('answers 404 when no served bundle provides the decision', async () => {
    const empty = new BundleRegistry({ dir: await mkdtemp(join(tmpdir(), 'portcullis-none-')), limits: DEFAULT_READ_LIMITS, logger, rescanIntervalMs: 60_000 });
    await empty.refresh();
    const res = await request(createApp({ registry: empty, logger }).callback())
      .post('/v1/check')
      .send({ reports: [juiceShop] });
    assert.equal(res.status, 404);
    assert.equal(res.body.code, 'BUNDLE_NOT_FOUND');
  });
});
