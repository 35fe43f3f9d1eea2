import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { mintToken, openStore, type TokenScope } from '../../../src/store/index.js';
import { testCa, testCertificate } from '../../helpers/certs.js';
import { DIGEST } from './samples.js';
import { builtBundles, info, mustBeZero, spawnServe, type Figure } from './support.js';

/** A CA with a server certificate for 127.0.0.1, a client certificate, an expired one, and a foreign CA's client certificate. */
async function certificates(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  await writeFile(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const ca of ['ca', 'foreign']) await testCa(dir, ca);
  await testCertificate(dir, 'server', { ca: 'ca', ext: 'server.ext' });
  await testCertificate(dir, 'client', { ca: 'ca', ext: 'client.ext' });
  await testCertificate(dir, 'expired', { ca: 'ca', ext: 'client.ext', days: -1 });
  await testCertificate(dir, 'stranger', { ca: 'foreign', ext: 'client.ext' });
}

interface Route {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly body?: string;
}

/**
 * Every route, and spellings of the token-scoped ones that must not change
 * what is allowed; `policyLayer` is the digest of image-policy's bytes, asked
 * for through image-scan's repository on /v2/.
 */
const routes = (policyLayer: string): readonly Route[] => [
  { method: 'GET', path: '/health' },
  { method: 'GET', path: '/ready' },
  { method: 'GET', path: '/metrics' },
  { method: 'GET', path: '/bundles/image-scan' },
  { method: 'GET', path: '/bundles/image-policy.tar.gz' },
  { method: 'GET', path: '/BUNDLES/image-scan' },
  { method: 'GET', path: '/bundles/%69mage-scan' },
  { method: 'GET', path: '//bundles/image-scan' },
  { method: 'GET', path: '/bundles/image-scan/' },
  { method: 'GET', path: '/v1/bundles' },
  { method: 'POST', path: '/status', body: '{"labels":{"id":"matrix"}}' },
  { method: 'POST', path: '/status/partition', body: '{"labels":{"id":"matrix"}}' },
  { method: 'POST', path: '/logs', body: '[]' },
  { method: 'POST', path: '/Logs', body: '[]' },
  { method: 'GET', path: '/v1/agents' },
  { method: 'GET', path: '/v1/decisions' },
  { method: 'POST', path: '/v1/check', body: '{}' },
  { method: 'POST', path: '/v1/data/portcullis/image/pinned/deny', body: '{"input":{"images":[]}}' },
  { method: 'POST', path: '/v1/admission', body: '{}' },
  { method: 'POST', path: '/v1/reports', body: '{}' },
  { method: 'GET', path: `/v1/reports/${DIGEST}` },
  { method: 'POST', path: '/v1/gatekeeper/provider', body: '{}' },
  { method: 'GET', path: '/v1/gatekeeper/manifests.yaml' },
  { method: 'GET', path: '/v2/' },
  { method: 'GET', path: '/v2/bundles/image-scan/manifests/latest' },
  { method: 'GET', path: '/v2/bundles/image-policy/manifests/latest' },
  { method: 'GET', path: '/V2/bundles/image-scan/manifests/latest' },
  { method: 'GET', path: '/v2/bundles/%69mage-scan/manifests/latest' },
  { method: 'GET', path: '//v2//bundles/image-scan/manifests/latest/' },
  { method: 'GET', path: `/v2/bundles/image-policy/blobs/${policyLayer}` },
  { method: 'GET', path: `/v2/bundles/image-scan/blobs/${policyLayer}` },
  { method: 'GET', path: '/v2/bundles/image-scan/tags/list' },
  { method: 'POST', path: '/v1/inventory?cluster=matrix&new_cluster=true', body: '{"apiVersion":"v1","kind":"List","items":[]}' },
  { method: 'GET', path: '/v1/inventory' },
  { method: 'GET', path: '/V1/Inventory' },
  { method: 'GET', path: '/v1/inventory/workloads' },
  { method: 'GET', path: '/v1/inventory/deliveries' },
  { method: 'GET', path: '/v1/findings' },
  { method: 'GET', path: '//v1/findings/?format=csv' },
  { method: 'GET', path: '/v1/vulnerabilities/CVE-2024-3094' },
  { method: 'GET', path: `/v1/images/${DIGEST}` },
  { method: 'GET', path: '/v1/reports/kubernetes' },
];

/** Tokens by name: the scopes and bundles each was minted with, or what it is instead. */
const TOKENS: Record<string, { scopes: TokenScope[]; bundles: string[] } | 'none' | 'malformed' | 'wrong' | 'revoked'> = {
  none: 'none',
  malformed: 'malformed',
  wrong: 'wrong',
  revoked: 'revoked',
  admin: { scopes: ['bundles', 'status', 'logs', 'admin'], bundles: ['*'] },
  agent: { scopes: ['bundles', 'status', 'logs'], bundles: ['*'] },
  'image-policy only': { scopes: ['bundles'], bundles: ['image-policy'] },
  'admin, image-policy only': { scopes: ['bundles', 'admin'], bundles: ['image-policy'] },
  'status only': { scopes: ['status'], bundles: ['*'] },
  'logs only': { scopes: ['logs'], bundles: ['*'] },
};
const CERTS = ['none', 'valid', 'foreign CA', 'expired'] as const;

/** What the documented rules allow, written independently of the server's code: open routes, then scopes and bundles, then mTLS. */
function allowed(route: Route, token: (typeof TOKENS)[string], cert: (typeof CERTS)[number]): boolean {
  // As documented: escapes of unreserved characters decoded, runs of / collapsed, a trailing / dropped; case kept.
  const path = route.path
    .replace(/%([0-9A-Fa-f]{2})/g, (escape, hex: string) =>
      /[A-Za-z0-9\-._~]/.test(String.fromCharCode(parseInt(hex, 16))) ? String.fromCharCode(parseInt(hex, 16)) : escape,
    )
    .replace(/\/{2,}/g, '/')
    .replace(/(.)\/$/, '$1');
  // Scan reports (upload and history) go with admission; /v1/reports/kubernetes is an inventory query, by token.
  const mtls = path === '/v1/admission' || path === '/v1/gatekeeper/provider' || path === '/v1/reports' || path.startsWith('/v1/reports/sha256:');
  if (mtls && cert !== 'valid') return false;
  if (['/health', '/ready', '/v1/admission', '/v1/gatekeeper/provider'].includes(path)) return true;
  if (typeof token === 'string') return false;
  const bundle = /^\/bundles\/([a-z-]+)(\.tar\.gz)?$/.exec(path)?.[1] ?? /^\/v2\/bundles\/([a-z-]+)\//.exec(path)?.[1];
  if (bundle !== undefined) return token.scopes.includes('bundles') && (token.bundles.includes('*') || token.bundles.includes(bundle));
  // The OCI API's version check: any token that may download bundles.
  if (path === '/v2') return token.scopes.includes('bundles');
  if (path === '/status' || path.startsWith('/status/')) return token.scopes.includes('status');
  if (path === '/logs' || path.startsWith('/logs/')) return token.scopes.includes('logs');
  return token.scopes.includes('admin');
}

/** The status (or the connection error), and the ETag of a 200, which names the bundle that was sent. */
function call(
  url: string,
  route: Route,
  authorization: string | undefined,
  tls: { ca: Buffer; cert?: Buffer; key?: Buffer },
): Promise<{ status: number | string; etag?: string }> {
  // What names the bytes of a 200: the ETag of /bundles/, the Docker-Content-Digest of /v2/.
  return new Promise((resolve) => {
    const headers: Record<string, string> = { 'Content-Type': 'application/json', ...(authorization === undefined ? {} : { Authorization: authorization }) };
    const req = request(`${url}${route.path}`, { method: route.method, headers, agent: false, ...tls }, (res) => {
      res.resume();
      const etag = res.headers.etag ?? (res.headers['docker-content-digest'] as string | undefined);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ...(res.statusCode === 200 && etag ? { etag } : {}) }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ status: err.code ?? 'error' }));
    req.end(route.body);
  });
}

/**
 * Every route against every credential: no, malformed, wrong, revoked and
 * out-of-scope tokens beside valid ones, with no, foreign-CA, expired and
 * valid client certificates. A cell answered with anything but 401/403 (or a
 * refused handshake) where the rules deny is a bypass; a refusal where they
 * allow is a false denial.
 */
export async function authMatrixScenario(): Promise<Figure[]> {
  const { dir, files } = await builtBundles();
  // Which bundle a 200 sent, by its ETag or Docker-Content-Digest: a bundle the token may not download is a bypass whatever the path looked like.
  const digests = Object.entries(files).map(([name, bytes]) => [name, createHash('sha256').update(bytes).digest('hex')] as const);
  const bundleByEtag = new Map<string, string>(digests.flatMap(([name, hex]) => [[`"${hex}"`, name] as const, [`sha256:${hex}`, name] as const]));
  const policyLayer = `sha256:${digests.find(([name]) => name === 'image-policy')?.[1] ?? ''}`;
  const certs = join(dir, 'certs');
  await certificates(certs);
  const config = join(dir, 'portcullis.yaml');
  await writeFile(
    config,
    [
      'server:',
      '  tls: { cert: certs/server.crt, key: certs/server.key, client_ca: certs/ca.crt }',
      'auth:',
      '  required: true',
      'admission:',
      '  require_client_cert: true',
      'state:',
      '  dir: state',
      '',
    ].join('\n'),
  );
  const store = await openStore({ driver: 'sqlite', path: join(dir, 'state', 'portcullis.db') });
  const tokens: Record<string, string | undefined> = {};
  for (const [name, spec] of Object.entries(TOKENS)) {
    if (typeof spec !== 'string') {
      const minted = mintToken({ name, ...spec });
      await store.createToken(minted.record);
      tokens[name] = `Bearer ${minted.token}`;
    }
  }
  const revoked = mintToken({ name: 'revoked', scopes: ['bundles', 'status', 'logs', 'admin'], bundles: ['*'] });
  await store.createToken(revoked.record);
  await store.revokeToken(revoked.record.id, new Date());
  tokens['revoked'] = `Bearer ${revoked.token}`;
  // The right id with another secret, so the digest comparison itself is exercised.
  tokens['wrong'] = `Bearer ${(tokens['admin'] as string).slice(7, 24)}${'A'.repeat(43)}`;
  tokens['malformed'] = 'Bearer';
  tokens['none'] = undefined;
  await store.close();

  const server = await spawnServe(dir, ['--config', config, '--dir', join(dir, 'bundles')]);
  try {
    const ca = await readFile(join(certs, 'ca.crt'));
    const pair = async (name: string) => ({ cert: await readFile(join(certs, `${name}.crt`)), key: await readFile(join(certs, `${name}.key`)) });
    const clients = { none: {}, valid: await pair('client'), 'foreign CA': await pair('stranger'), expired: await pair('expired') };
    let cells = 0;
    const bypasses: string[] = [];
    const denials: string[] = [];
    for (const route of routes(policyLayer)) {
      for (const [tokenName, spec] of Object.entries(TOKENS)) {
        for (const cert of CERTS) {
          const { status, etag } = await call(server.url, route, tokens[tokenName], { ca, ...clients[cert] });
          const granted = typeof status === 'number' && status !== 401 && status !== 403;
          const expected = allowed(route, spec, cert);
          const sent = etag === undefined ? undefined : bundleByEtag.get(etag);
          const mayDownload = sent === undefined || allowed({ method: 'GET', path: `/bundles/${sent}` }, spec, cert);
          cells += 1;
          const cell = `${route.method} ${route.path} token=${tokenName} cert=${cert}: ${status}${sent ? ` (sent ${sent})` : ''}`;
          if ((granted && !expected) || !mayDownload) bypasses.push(cell);
          if (!granted && expected) denials.push(cell);
        }
      }
    }
    for (const cell of [...bypasses, ...denials].slice(0, 10)) console.log(`  ${cell}`);
    return [
      info('cells (routes x tokens x client certificates)', cells),
      mustBeZero('bypasses (allowed where the rules deny)', bypasses.length),
      mustBeZero('false denials (refused where the rules allow)', denials.length),
      mustBeZero('server crashes', server.alive() ? 0 : 1),
    ];
  } finally {
    await server.stop();
  }
}
