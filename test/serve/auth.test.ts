import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { requirementFor } from '../../src/serve/index.js';
import { event, post, startFleetApp, statusUpdate, type FleetApp } from '../store/fleet-app.js';

const JSON_PLAIN = { 'Content-Type': 'application/json' };
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

describe('bearer-token auth (auth.required: true)', () => {
  let app: FleetApp;
  let agentToken: string;
  let tinyOnly: string;
  let admin: string;
  let statusOnly: string;
  before(async () => {
    app = await startFleetApp({ authRequired: true });
    agentToken = (await app.token({ name: 'agent-1', agent: 'agent-1' })).token;
    tinyOnly = (await app.token({ name: 'tiny-group', group: 'edge', bundles: ['tiny'] })).token;
    admin = (await app.token({ name: 'ops', scopes: ['admin'] })).token;
    statusOnly = (await app.token({ name: 'reporter', scopes: ['status'] })).token;
  });
  after(() => app.close());

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${app.url}${path}`, { headers });

  it('keeps /health open', async () => {
    assert.equal((await get('/health')).status, 200);
  });

  it('answers 401 with WWW-Authenticate and a JSON error without a token', async () => {
    for (const path of ['/bundles/tiny', '/bundles/tiny.tar.gz', '/v1/agents', '/v1/decisions', '/v1/bundles']) {
      const res = await get(path);
      assert.equal(res.status, 401, path);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer realm="portcullis"/);
      assert.equal(((await res.json()) as { code: string }).code, 'UNAUTHENTICATED');
    }
    assert.equal((await post(`${app.url}/status`, JSON.stringify(statusUpdate()), JSON_PLAIN)).status, 401);
    assert.equal((await post(`${app.url}/logs`, JSON.stringify([event(1)]), JSON_PLAIN)).status, 401);
  });

  it('answers 401 for wrong, malformed, tampered and non-bearer credentials', async () => {
    const tampered = `${agentToken.slice(0, -2)}${agentToken.endsWith('A') ? 'BB' : 'AA'}`;
    for (const auth of [`Bearer ${tampered}`, 'Bearer pcl_nothing', 'Bearer ', `Basic ${Buffer.from(`x:${agentToken}`).toString('base64')}`, agentToken]) {
      const res = await get('/bundles/tiny', { Authorization: auth });
      assert.equal(res.status, 401, auth.slice(0, 12));
    }
    const res = await get('/bundles/tiny', bearer(tampered));
    assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
  });

  it('lets an agent token download bundles, report status and send logs, recording who it is', async () => {
    assert.equal((await get('/bundles/tiny', bearer(agentToken))).status, 200);
    assert.equal((await get('/bundles/other', bearer(agentToken))).status, 200);
    assert.equal((await post(`${app.url}/status`, JSON.stringify(statusUpdate('opa-uuid-1')), { ...JSON_PLAIN, ...bearer(agentToken) })).status, 200);
    assert.equal((await post(`${app.url}/logs`, JSON.stringify([event(1, 'opa-uuid-1')]), { ...JSON_PLAIN, ...bearer(agentToken) })).status, 200);
    const [agent] = await app.store.listAgents();
    assert.equal(agent?.auth?.agent, 'agent-1');
    const [decision] = (await app.store.queryDecisions({ labels: [], input: [], limit: 1, order: 'desc', agent: 'agent-1' })).decisions;
    assert.equal(decision?.agent_id, 'opa-uuid-1');
  });

  it('answers 403 outside the token scope: other bundles, other APIs', async () => {
    assert.equal((await get('/bundles/tiny', bearer(tinyOnly))).status, 200);
    const other = await get('/bundles/other', bearer(tinyOnly));
    assert.equal(other.status, 403);
    assert.equal(((await other.json()) as { code: string }).code, 'FORBIDDEN');
    assert.equal((await get('/v1/agents', bearer(agentToken))).status, 403);
    assert.equal((await get('/v1/decisions', bearer(agentToken))).status, 403);
    assert.equal((await get('/bundles/tiny', bearer(admin))).status, 403);
    assert.equal((await get('/bundles/tiny', bearer(statusOnly))).status, 403);
    assert.equal((await post(`${app.url}/logs`, '[]', { ...JSON_PLAIN, ...bearer(statusOnly) })).status, 403);
    assert.equal((await post(`${app.url}/status`, JSON.stringify(statusUpdate('s')), { ...JSON_PLAIN, ...bearer(statusOnly) })).status, 200);
  });

  it('guards the OCI distribution API like /bundles: a bundles token, per bundle', async () => {
    const manifest = '/v2/bundles/tiny/manifests/latest';
    assert.equal((await get(manifest)).status, 401);
    assert.equal((await get(manifest, bearer(agentToken))).status, 200);
    assert.equal((await get(manifest, bearer(tinyOnly))).status, 200);
    assert.equal((await get('/v2/bundles/other/manifests/latest', bearer(tinyOnly))).status, 403);
    assert.equal((await get(manifest, bearer(admin))).status, 403);
    assert.equal((await get('/v2/', bearer(tinyOnly))).status, 200);
  });

  it('lets an admin token query the fleet', async () => {
    assert.equal((await get('/v1/agents', bearer(admin))).status, 200);
    assert.equal((await get('/v1/decisions', bearer(admin))).status, 200);
  });

  it('refuses a revoked token from the next request on', async () => {
    const { token, id } = await app.token({ name: 'short-lived' });
    assert.equal((await get('/bundles/tiny', bearer(token))).status, 200);
    assert.equal(await app.store.revokeToken(id, new Date()), true);
    assert.equal((await get('/bundles/tiny', bearer(token))).status, 401);
  });

  it('classifies paths: open health, agent APIs, and admin for everything else', () => {
    assert.deepEqual(requirementFor('/health'), { open: true });
    assert.deepEqual(requirementFor('/bundles/a%2Fb.tar.gz'), { open: false, scope: 'bundles', bundle: 'a/b' });
    assert.deepEqual(requirementFor('/status/p1'), { open: false, scope: 'status' });
    assert.deepEqual(requirementFor('/logs'), { open: false, scope: 'logs' });
    assert.deepEqual(requirementFor('/statusx'), { open: false, scope: 'admin' });
    assert.deepEqual(requirementFor('/metrics'), { open: false, scope: 'admin' });
    // The API server and Gatekeeper send no tokens; TLS client certificates guard these two.
    assert.deepEqual(requirementFor('/v1/admission'), { open: true });
    assert.deepEqual(requirementFor('/v1/gatekeeper/provider'), { open: true });
    assert.deepEqual(requirementFor('/v1/reports'), { open: false, scope: 'admin' });
    // The OCI distribution API is for agents: per bundle where a path names one.
    assert.deepEqual(requirementFor('/v2/bundles/image-policy/manifests/latest'), { open: false, scope: 'bundles', bundle: 'image-policy' });
    assert.deepEqual(requirementFor('/v2/bundles/a%2Fb/blobs/sha256:00'), { open: false, scope: 'bundles', bundle: 'a/b' });
    assert.deepEqual(requirementFor('/v2/'), { open: false, scope: 'bundles' });
  });
});

describe('auth off (the default)', () => {
  it('serves bundles and accepts status without a token', async () => {
    const app = await startFleetApp();
    try {
      assert.equal((await fetch(`${app.url}/bundles/tiny`)).status, 200);
      assert.equal((await post(`${app.url}/status`, JSON.stringify(statusUpdate()), JSON_PLAIN)).status, 200);
    } finally {
      await app.close();
    }
  });
});
