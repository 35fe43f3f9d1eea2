import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import request from 'supertest';
import { DEFAULT_READ_LIMITS } from '../../src/bundle/index.js';
import { normalizeFiles } from '../../src/inputs/index.js';
import { BundleRegistry, createApp } from '../../src/serve/index.js';
import { tinyBundle } from '../helpers/bundles.js';
import { buildFixtureBundle, JUICE_SHOP } from '../fixtures/check/bundle.js';

const logger = pino({ level: 'silent' });

describe('POST /v1/data/<path> (OPA Data API)', () => {
  let registry: BundleRegistry;
  let server: ReturnType<ReturnType<typeof createApp>['callback']>;
  let input: unknown;

  before(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portcullis-data-route-'));
    await copyFile(await buildFixtureBundle(), join(dir, 'image-scan.tar.gz'));
    await writeFile(join(dir, 'tiny.tar.gz'), tinyBundle('r1'));
    registry = new BundleRegistry({ dir, limits: DEFAULT_READ_LIMITS, logger, rescanIntervalMs: 60_000 });
    await registry.refresh();
    server = createApp({ registry, logger, limits: { requests: { maxBodyBytes: 2 * 1024 * 1024, maxDepth: 128 } } }).callback();
    input = await normalizeFiles({ reports: [{ path: JUICE_SHOP }], now: '2024-11-01T00:00:00Z' });
  });
  after(() => registry.stop());

  it('evaluates an entrypoint of the bundle whose roots hold the path', async () => {
    const res = await request(server).post('/v1/data/portcullis/scan/decision').send({ input });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.body), ['result']);
    assert.equal(res.body.result.decision, 'deny');
    assert.ok(res.body.result.violations.length > 100);
    const dotted = await request(server).post('/v1/data/portcullis/scan/decision/').send({ input });
    assert.deepEqual(dotted.body, res.body);
  });

  it('returns bundle data under a path that is not an entrypoint', async () => {
    const res = await request(server).post('/v1/data/portcullis/scan/settings/severity_rank').send({ input: {} });
    assert.deepEqual(res.body, { result: 4 });
    assert.deepEqual((await request(server).post('/v1/data/tiny/value').send({ input: {} })).body, { result: 'r1' });
  });

  it('answers {} for an undefined document, and warns like OPA when input is missing', async () => {
    assert.deepEqual((await request(server).post('/v1/data/nowhere/at/all').send({ input: {} })).body, {});
    const warning = { code: 'api_usage_warning', message: "'input' key missing from the request" };
    const noInput = await request(server).post('/v1/data/portcullis/scan/decision').send({});
    assert.equal(noInput.status, 200);
    assert.deepEqual(noInput.body.warning, warning);
    assert.equal(noInput.body.result.decision, 'allow');
    assert.deepEqual((await request(server).post('/v1/data/nowhere').send({})).body, { warning });
    assert.deepEqual((await request(server).post('/v1/data/nowhere')).body, { warning });
  });

  it('gives the same result as the in-process evaluation of the same input', async () => {
    const a = await request(server).post('/v1/data/portcullis/scan/decision').send({ input });
    const b = await request(server)
      .post('/v1/check')
      .send({ reports: [JSON.parse(await readFile(JUICE_SHOP, 'utf8'))], now: '2024-11-01T00:00:00Z' });
    assert.equal(a.body.result.violations.length, b.body.violations.length);
  });

  it('answers client mistakes with 4xx JSON errors', async () => {
    const cases: [string, () => request.Test, number, string][] = [
      [
        'malformed JSON',
        () => request(server).post('/v1/data/portcullis/scan/decision').set('Content-Type', 'application/json').send('{"input": '),
        400,
        'REQUEST_INVALID',
      ],
      ['a body that is not an object', () => request(server).post('/v1/data/portcullis/scan/decision').send(['input']), 400, 'REQUEST_INVALID'],
      [
        'a rule that is not an entrypoint',
        () => request(server).post('/v1/data/portcullis/scan/violations').send({ input: {} }),
        404,
        'EVAL_ENTRYPOINT_UNKNOWN',
      ],
      ['bad percent-encoding', () => request(server).post('/v1/data/portcullis/%E0%A4%A').send({ input: {} }), 400, 'REQUEST_INVALID'],
      [
        'an oversized body',
        () =>
          request(server)
            .post('/v1/data/portcullis/scan/decision')
            .send({ input: 'x'.repeat(3 * 1024 * 1024) }),
        413,
        'INPUT_TOO_LARGE',
      ],
    ];
    for (const [name, send, status, code] of cases) {
      const res = await send();
      assert.equal(res.status, status, `${name}: ${res.text.slice(0, 300)}`);
      assert.equal(res.body.code, code, name);
    }
  });
});
