// The Gatekeeper external-data provider over real TLS, with certificates from
// `portcullis certs` code: a Node https client that verifies the server
// certificate (as Gatekeeper does with the Provider's caBundle, TLS 1.3 only),
// mTLS with Gatekeeper-style client certificates, and malformed requests.
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { request } from 'node:https';
import { mkdtemp, readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import supertest from 'supertest';
import { SERVER_TIMEOUTS } from '../../src/core/index.js';
import { issueCertificates, type IssuedCertificates } from '../../src/gatekeeper/index.js';
import { normalize } from '../../src/inputs/index.js';
import type { Decision } from '../../src/report/index.js';
import { createListener, loadTls } from '../../src/serve/listener.js';
import { admissionApp, digest, trivyReport, type AdmissionApp } from '../gatekeeper/admission-fixture.js';

interface Tls {
  readonly ca: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly servername?: string;
}

interface Reply {
  readonly status: number;
  readonly body: any;
  readonly protocol: string | null;
}

/** POSTs JSON over https to 127.0.0.1, verifying the server certificate for `localhost` (or `servername`). */
function post(url: string, body: unknown, tls: Tls, method = 'POST'): Promise<Reply> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/v1/gatekeeper/provider`,
      { method, agent: false, minVersion: 'TLSv1.3', servername: 'localhost', ...tls, headers: { 'Content-Type': 'application/json' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, body: raw ? JSON.parse(raw) : undefined, protocol: (res.socket as TLSSocket).getProtocol() });
        });
      },
    );
    req.on('error', reject);
    req.end(method === 'POST' ? text : undefined);
  });
}

const finding = (message: string) => ({ rule: 'vulnerability_severity', message, severity: 'CRITICAL' as const, enforcement: 'deny' as const });
const DENIED: Decision = {
  decision: 'deny',
  violations: ['CVE-2024-0009 in glibc is CRITICAL', 'CVE-2024-0010 in zlib is HIGH', 'CVE-2024-0011 in curl is HIGH', 'CVE-2024-0012 in bash is HIGH'].map(
    finding,
  ),
  warnings: [],
  exceptions: [],
  expired_exceptions: [],
};

const providerRequest = (keys: unknown) => ({ apiVersion: 'externaldata.gatekeeper.sh/v1beta1', kind: 'ProviderRequest', request: { keys } });

async function listen(app: AdmissionApp, certs: IssuedCertificates, requireClientCert: boolean): Promise<{ server: Server; url: string }> {
  const tls = await loadTls({ cert: certs.cert, key: certs.key, clientCa: certs.ca, requireClientCert });
  const server = createListener((req, res) => void app.callback(req, res), tls, SERVER_TIMEOUTS).listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  return { server, url: `https://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('POST /v1/gatekeeper/provider over TLS', () => {
  let certs: IssuedCertificates;
  let rogue: IssuedCertificates;
  let ca: Buffer;
  let client: { cert: Buffer; key: Buffer };
  let rogueClient: { cert: Buffer; key: Buffer };
  const servers: Server[] = [];
  const apps: AdmissionApp[] = [];

  const start = async (config: { requireClientCert?: boolean } = {}, handshakeCert = false) => {
    // Reports are uploaded over plain HTTP to an app without the client-certificate rule, which shares its scans.
    const uploader = await admissionApp();
    const app = await admissionApp(config, true, uploader.scans);
    apps.push(uploader, app);
    const uploads: Array<[string, string[]]> = [
      [`registry.example.com/shop/api@${digest(1)}`, []],
      [`registry.example.com/shop/pay@${digest(2)}`, ['CVE-2024-0001']],
    ];
    for (const [image, cves] of uploads) {
      const res = await supertest(uploader.callback)
        .post('/v1/reports')
        .send({ image, report: trivyReport(image, cves) });
      assert.equal(res.status, 201, res.text);
    }
    // The provider reflects the stored decision; the stand-in policy denies nothing without a namespace, so one is stored as is.
    await uploader.scans.put({
      digest: digest(3),
      image: 'registry.example.com/shop/old',
      input: normalize({ now: new Date() }),
      decision: DENIED,
      storedAt: new Date().toISOString(),
    });
    const { server, url } = await listen(app, certs, handshakeCert);
    servers.push(server);
    return url;
  };

  before(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portcullis-provider-tls-'));
    certs = await issueCertificates({ outDir: join(dir, 'good'), dnsNames: ['localhost'], days: 2, clientName: 'gatekeeper-webhook' });
    rogue = await issueCertificates({ outDir: join(dir, 'rogue'), dnsNames: ['localhost'], days: 2, clientName: 'intruder' });
    ca = await readFile(certs.ca);
    client = { cert: await readFile(certs.clientCert as string), key: await readFile(certs.clientKey as string) };
    rogueClient = { cert: await readFile(rogue.clientCert as string), key: await readFile(rogue.clientKey as string) };
  });
  after(async () => {
    for (const s of servers) await new Promise<void>((resolve) => s.close(() => resolve()));
    for (const a of apps) a.registry.stop();
  });

  it('answers a batch of 100 keys in order, per key, over TLS 1.3', async () => {
    const url = await start();
    const keys = Array.from({ length: 100 }, (_, i) => {
      if (i === 4) return `registry.example.com/shop/old@${digest(3)}`;
      if (i % 4 === 0) return `registry.example.com/shop/api@${digest(1)}`;
      if (i % 4 === 1) return `registry.example.com/shop/pay:2.0@${digest(2)}`;
      if (i % 4 === 2) return `registry.example.com/shop/other@${digest(1000 + i)}`;
      return i === 99 ? 'Not A Reference' : `registry.example.com/shop/api:${i}`;
    });
    const res = await post(url, providerRequest(keys), { ca });
    assert.equal(res.status, 200);
    assert.equal(res.protocol, 'TLSv1.3');
    assert.equal(res.body.apiVersion, 'externaldata.gatekeeper.sh/v1beta1');
    assert.equal(res.body.kind, 'ProviderResponse');
    assert.equal(res.body.response.idempotent, true);
    assert.equal(res.body.response.systemError, undefined);
    const items = res.body.response.items as Array<{ key: string; value?: { decision: string; summary: string; digest: string }; error?: string }>;
    assert.deepEqual(
      items.map((i) => i.key),
      keys,
    );
    const first = items[0]?.value as { scanned_at?: string } | undefined;
    assert.deepEqual(items[0]?.value, {
      decision: 'allow',
      summary: 'no findings',
      digest: digest(1),
      violations: 0,
      warnings: 0,
      scanned_at: first?.scanned_at,
    });
    assert.match(first?.scanned_at ?? '', /^\d{4}-\d{2}-\d{2}T/);
    assert.equal(items[1]?.value?.decision, 'allow');
    assert.equal(items[1]?.value?.summary, 'CVE-2024-0001 in openssl is CRITICAL; fixed in 3.1.4-r0', 'an allowed verdict summarizes its warnings');
    assert.deepEqual(items[4]?.value?.decision, 'deny');
    assert.equal(items[4]?.value?.summary, 'CVE-2024-0009 in glibc is CRITICAL; CVE-2024-0010 in zlib is HIGH; CVE-2024-0011 in curl is HIGH (and 1 more)');
    assert.deepEqual(items[2]?.value, { decision: 'unscanned', digest: digest(1002), summary: `no scan result is stored for ${digest(1002)}` });
    assert.match(items[3]?.error ?? '', /not pinned by a sha256 digest/);
    assert.equal(items[99]?.error, 'not a valid image reference');
    assert.equal(items.filter((i) => i.error !== undefined).length, 25);
  });

  it('is refused by a client that does not trust the server certificate', async () => {
    const url = await start();
    await assert.rejects(post(url, providerRequest([]), { ca: await readFile(rogue.ca) }), /self[- ]signed|unable to verify|certificate/i);
    await assert.rejects(post(url, providerRequest([]), { ca, servername: 'portcullis.elsewhere.svc' }), /altnames|does not match|Hostname/i);
  });

  it('mTLS: with require_client_cert only clients with a certificate from the client CA get answers', async () => {
    const url = await start({ requireClientCert: true });
    const withCert = await post(url, providerRequest([`registry.example.com/shop/api@${digest(1)}`]), { ca, ...client });
    assert.equal(withCert.status, 200);
    assert.equal(withCert.body.response.items[0].value.decision, 'allow');
    for (const tls of [{ ca }, { ca, ...rogueClient }]) {
      const refused = await post(url, providerRequest(['x']), tls);
      assert.equal(refused.status, 403);
      assert.equal(refused.body.kind, 'ProviderResponse');
      assert.match(refused.body.response.systemError, /client CA/);
      assert.deepEqual(refused.body.response.items, []);
    }
  });

  it('mTLS at the handshake: a listener that requires client certificates refuses clients without one', async () => {
    const url = await start({}, true);
    assert.equal((await post(url, providerRequest([]), { ca, ...client })).status, 200);
    await assert.rejects(post(url, providerRequest([]), { ca }), /certificate|socket hang up|ECONNRESET|alert/i);
  });

  describe('malformed requests get a 4xx ProviderResponse naming the problem, never a 500', () => {
    let url = '';
    before(async () => {
      url = await start();
    });
    const cases: ReadonlyArray<readonly [string, unknown, number, RegExp]> = [
      ['not JSON', '{"apiVersion":', 400, /not valid JSON/],
      ['empty body', '', 400, /the body must be a JSON object/],
      ['a list', [], 400, /the body must be a JSON object/],
      ['wrong apiVersion', { ...providerRequest([]), apiVersion: 'v1' }, 400, /apiVersion must be externaldata\.gatekeeper\.sh\/v1beta1/],
      ['wrong kind', { ...providerRequest([]), kind: 'ProviderResponse' }, 400, /kind must be ProviderRequest/],
      ['no request', { apiVersion: 'externaldata.gatekeeper.sh/v1beta1', kind: 'ProviderRequest' }, 400, /request must be an object/],
      ['keys not a list', providerRequest('nginx'), 400, /request\.keys must be a list/],
      ['a key not a string', providerRequest(['nginx', 42]), 400, /request\.keys\[1\] must be a non-empty string/],
      ['an empty key', providerRequest(['']), 400, /request\.keys\[0\]/],
      ['too many keys', providerRequest(Array.from({ length: 1001 }, (_, i) => `app:${i}`)), 413, /more than 1000 keys/],
      ['a body over the limit', providerRequest(['x'.repeat(2 * 1024 * 1024)]), 413, /larger than/],
    ];
    for (const [name, body, status, message] of cases) {
      it(name, async () => {
        const res = await post(url, body, { ca });
        assert.equal(res.status, status);
        assert.equal(res.body.apiVersion, 'externaldata.gatekeeper.sh/v1beta1');
        assert.equal(res.body.kind, 'ProviderResponse');
        assert.match(res.body.response.systemError, message);
      });
    }

    it('an empty key list is a valid, empty answer', async () => {
      const res = await post(url, providerRequest([]), { ca });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.response, { idempotent: true, items: [] });
    });

    it('GET is a 405 ProviderResponse', async () => {
      const res = await post(url, undefined, { ca }, 'GET');
      assert.equal(res.status, 405);
      assert.match(res.body.response.systemError, /GET is not supported; POST a ProviderRequest/);
    });
  });
});
