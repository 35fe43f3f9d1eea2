import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { post, startFleetApp, statusUpdate, type FleetApp } from '../store/fleet-app.js';

const JSON_PLAIN = { 'Content-Type': 'application/json' };

describe('POST /status (OPA Status API)', () => {
  let app: FleetApp;
  before(async () => {
    app = await startFleetApp({ maxBodyBytes: 1024 * 1024 });
  });
  after(() => app.close());

  it('stores the agent, its OPA version and per-bundle revision, and answers 200 {}', async () => {
    const res = await post(`${app.url}/status`, JSON.stringify(statusUpdate('agent-1', 'r1')), JSON_PLAIN);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, {});
    const [agent] = await app.store.listAgents();
    assert.equal(agent?.id, 'agent-1');
    assert.equal(agent?.opa_version, '1.10.0');
    assert.equal(agent?.bundles['tiny']?.active_revision, 'r1');
    assert.equal(agent?.bundles['tiny']?.type, 'snapshot');
    assert.ok(agent?.last_request && agent.last_successful_activation);
    assert.equal(agent?.plugins?.['bundle']?.state, 'OK');
    assert.ok(!JSON.stringify(agent).includes('go_gc_duration_seconds'), 'Prometheus metrics are not kept');
  });

  it('records errors with their HTTP code, drops Go zero times, and accepts partitions and gzip', async () => {
    const update = statusUpdate('agent-2', 'r1', {
      bundles: {
        tiny: {
          name: 'tiny',
          active_revision: 'r1',
          last_request: '2026-11-28T12:00:00.5Z',
          last_successful_activation: '0001-01-01T00:00:00Z',
          code: 'bundle_error',
          message: 'server replied with Unauthorized',
          http_code: 401,
        },
      },
    });
    const res = await post(`${app.url}/status/fleet-a`, gzipSync(JSON.stringify(update)), { ...JSON_PLAIN, 'Content-Encoding': 'gzip' });
    assert.equal(res.status, 200);
    const agent = (await app.store.listAgents()).find((a) => a.id === 'agent-2');
    assert.equal(agent?.partition, 'fleet-a');
    assert.deepEqual(agent?.last_error, { source: 'tiny', code: 'bundle_error', message: 'server replied with Unauthorized', http_code: 401 });
    assert.equal(agent?.bundles['tiny']?.last_successful_activation, undefined);
  });

  const valid = statusUpdate('agent-3');
  const cases: [string, string | Uint8Array, Record<string, string>, number][] = [
    ['an array', JSON.stringify([valid]), JSON_PLAIN, 400],
    ['no labels', JSON.stringify({ ...valid, labels: undefined }), JSON_PLAIN, 400],
    ['labels without id', JSON.stringify({ ...valid, labels: { version: '1' } }), JSON_PLAIN, 400],
    ['http_code that is a string', JSON.stringify({ ...valid, bundles: { tiny: { http_code: '401' } } }), JSON_PLAIN, 400],
    ['last_request that is not a time', JSON.stringify({ ...valid, bundles: { tiny: { last_request: 'now' } } }), JSON_PLAIN, 400],
    ['a plugin state that is a number', JSON.stringify({ ...valid, plugins: { bundle: { state: 1 } } }), JSON_PLAIN, 400],
    ['JSON with a trailing comma', '{"labels":{"id":"x"},}', JSON_PLAIN, 400],
    ['a body over the limit', JSON.stringify({ ...valid, padding: 'x'.repeat(1024 * 1024) }), JSON_PLAIN, 413],
    ['Content-Encoding compress', JSON.stringify(valid), { ...JSON_PLAIN, 'Content-Encoding': 'compress' }, 415],
  ];
  for (const [name, body, headers, status] of cases) {
    it(`refuses ${name} with ${status} and stores nothing`, async () => {
      const res = await post(`${app.url}/status`, body, headers);
      assert.equal(res.status, status, JSON.stringify(res.body));
      assert.ok((res.body as { message: string }).message);
      assert.equal(
        (await app.store.listAgents()).some((a) => a.id === 'agent-3'),
        false,
      );
    });
  }
});
