import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/index.js';
import { startServer, type RunningServer } from '../../src/serve/index.js';
import { tinyBundle } from '../helpers/bundles.js';
import { testCa, testCertificate } from '../helpers/certs.js';

/** A test CA, a server certificate for 127.0.0.1 and a client certificate, made with the openssl CLI. */
async function makeCerts(dir: string): Promise<void> {
  await testCa(dir, 'ca', '/CN=portcullis test CA');
  await writeFile(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  await writeFile(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const name of ['server', 'client']) await testCertificate(dir, name, { ca: 'ca', ext: `${name}.ext` });
  // A second, untrusted CA signs a client certificate the server must refuse.
  await testCa(dir, 'rogue');
}

interface Reply {
  readonly status?: number;
  readonly error?: string;
}

function get(url: string, tls: { ca?: Buffer; cert?: Buffer; key?: Buffer }): Promise<Reply> {
  return new Promise((resolve) => {
    const req = request(`${url}/health`, { ...tls, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    req.end();
  });
}

async function serve(dir: string, tls: string, name: string): Promise<RunningServer> {
  const bundles = join(dir, `bundles-${name}`);
  await import('node:fs/promises').then((fs) => fs.mkdir(bundles, { recursive: true }));
  await writeFile(join(bundles, 'tiny.tar.gz'), tinyBundle('r1'));
  const file = join(dir, `${name}.yaml`);
  await writeFile(file, `server:\n  tls:\n${tls}\nstate:\n  dir: state-${name}\n`);
  const config = await loadConfig(file, { listen: '127.0.0.1:0', bundlesDir: bundles });
  return startServer(config, pino({ level: 'silent' }));
}

describe('TLS on the listener', () => {
  let dir: string;
  let pem: (name: string) => Promise<Buffer>;
  let https: RunningServer;
  let mtls: RunningServer;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'portcullis-tls-'));
    await makeCerts(dir);
    pem = (name) => readFile(join(dir, name));
    https = await serve(dir, '    cert: server.crt\n    key: server.key', 'https');
    mtls = await serve(dir, '    cert: server.crt\n    key: server.key\n    client_ca: ca.crt\n    require_client_cert: true', 'mtls');
  });
  after(async () => {
    await https?.close();
    await mtls?.close();
  });

  it('serves https, verified by a client that trusts the CA', async () => {
    assert.match(https.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.deepEqual(await get(https.url, { ca: await pem('ca.crt') }), { status: 200 });
  });

  it('is refused by a client that does not trust the certificate', async () => {
    const reply = await get(https.url, {});
    assert.equal(reply.status, undefined);
    assert.match(reply.error ?? '', /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER/);
  });

  it('with require_client_cert, accepts a client certificate from client_ca and refuses none or a rogue one', async () => {
    const ca = await pem('ca.crt');
    assert.deepEqual(await get(mtls.url, { ca, cert: await pem('client.crt'), key: await pem('client.key') }), { status: 200 });
    assert.equal((await get(mtls.url, { ca })).status, undefined);
    assert.equal((await get(mtls.url, { ca, cert: await pem('rogue.crt'), key: await pem('rogue.key') })).status, undefined);
  });

  it('refuses require_client_cert without client_ca, and names an unreadable certificate file', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'server:\n  tls:\n    cert: server.crt\n    key: server.key\n    require_client_cert: true\n');
    await assert.rejects(loadConfig(file), /require_client_cert needs server.tls.client_ca/);
    await assert.rejects(serve(dir, '    cert: missing.crt\n    key: server.key', 'missing'), /server\.tls\.cert .*missing\.crt cannot be read/);
  });
});
