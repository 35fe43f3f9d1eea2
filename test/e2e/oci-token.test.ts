import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate, randomUUID } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { importPKCS8, SignJWT } from 'jose';
import { runCli, writeBundle } from '../helpers/oci.js';
import { freePort } from '../helpers/processes.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';

const SERVICE = 'portcullis-test-registry';
const ISSUER = 'portcullis-test-token-service';
const USERS: Readonly<Record<string, string>> = { bob: 'hunter2', carol: 'from-a-helper' };
const REFRESH_TOKEN = 'identity-token-for-dave';

interface TokenRequest {
  readonly method: string;
  readonly user?: string;
  readonly scopes: readonly string[];
}

/**
 * The token flow of the distribution spec with the real registry
 * (`auth.token`) and a token service of our own: it checks HTTP Basic
 * credentials (or an OAuth2 refresh token, for Docker identity tokens) and
 * issues ES256 JWTs the registry verifies against its root certificate.
 */
describe('registry token auth: WWW-Authenticate Bearer realm, service and scope', () => {
  let registry: TestRegistry;
  let tokens: Server;
  let dir: string;
  const requests: TokenRequest[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'portcullis-oci-token-'));
    const key = join(dir, 'token.key');
    const cert = join(dir, 'token.crt');
    execFileSync('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      '/CN=portcullis-test-token',
    ]);
    const signingKey = await importPKCS8(await readFile(key, 'utf8'), 'ES256');
    const x5c = new X509Certificate(await readFile(cert)).raw.toString('base64');
    const port = await freePort();
    tokens = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        void (async () => {
          const url = new URL(req.url ?? '/', 'http://token');
          const form = new URLSearchParams(body);
          const user = identify(req.headers.authorization, form);
          const scopes = req.method === 'POST' ? (form.get('scope') ?? '').split(' ').filter(Boolean) : url.searchParams.getAll('scope');
          requests.push({ method: req.method ?? '', scopes, ...(typeof user === 'string' ? { user } : {}) });
          if (user === false) {
            res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"details":"invalid credentials"}');
            return;
          }
          // Anonymous callers get a token that grants nothing, as public registries answer for private repositories.
          const access = user ? scopes.map((s) => s.split(':')).map(([type, name, actions]) => ({ type, name, actions: (actions ?? '').split(',') })) : [];
          const now = Math.floor(Date.now() / 1000);
          const token = await new SignJWT({ access })
            .setProtectedHeader({ alg: 'ES256', typ: 'JWT', x5c: [x5c] })
            .setIssuer(ISSUER)
            .setSubject(user || '')
            .setAudience(SERVICE)
            .setIssuedAt(now)
            .setNotBefore(now - 5)
            .setExpirationTime(now + 300)
            .setJti(randomUUID())
            .sign(signingKey);
          const field = req.method === 'POST' ? 'access_token' : 'token';
          res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ [field]: token, expires_in: 300 }));
        })();
      });
    });
    await new Promise<void>((resolve) => tokens.listen(port, '127.0.0.1', resolve));
    registry = await startRegistry({ token: { realm: `http://127.0.0.1:${port}/token`, service: SERVICE, issuer: ISSUER, rootCertBundle: cert } });
  });

  after(async () => {
    await registry?.stop();
    await new Promise((resolve) => tokens?.close(resolve));
  });

  const noDocker = { DOCKER_CONFIG: '/nonexistent' };

  it('pushes and pulls with a user and password exchanged for a push token, then a pull token', async () => {
    const bundle = await writeBundle(dir, 'tok', 'rev-t');
    const pushed = await runCli(['push', bundle, `${registry.host}/policies/tok:v1`, '--username', 'bob', '--password-stdin'], {
      env: noDocker,
      input: 'hunter2\n',
    });
    assert.equal(pushed.status, 0, pushed.stderr);
    assert.ok(
      requests.some((r) => r.user === 'bob' && r.scopes.includes('repository:policies/tok:pull,push')),
      JSON.stringify(requests),
    );
    const out = join(dir, 'tok-pulled.tar.gz');
    const pulled = await runCli(['pull', `${registry.host}/policies/tok:v1`, '-o', out], {
      env: { ...noDocker, PORTCULLIS_REGISTRY_USERNAME: 'bob', PORTCULLIS_REGISTRY_PASSWORD: 'hunter2' },
    });
    assert.equal(pulled.status, 0, pulled.stderr);
    assert.deepEqual(await readFile(out), await readFile(bundle));
    assert.ok(requests.some((r) => r.user === 'bob' && r.scopes.includes('repository:policies/tok:pull')));
  });

  it('refuses wrong credentials at the token service, and anonymous access at the registry: exit 2', async () => {
    const wrong = await runCli(['pull', `${registry.host}/policies/tok:v1`], {
      env: { ...noDocker, PORTCULLIS_REGISTRY_USERNAME: 'bob', PORTCULLIS_REGISTRY_PASSWORD: 'nope' },
    });
    assert.equal(wrong.status, 2, wrong.stderr);
    assert.match(
      wrong.stderr,
      new RegExp(
        `registry ${registry.host}: fetching the manifest policies/tok:v1: getting a token from 127\\.0\\.0\\.1:\\d+: the token service refused the credentials of user 'bob' \\(HTTP 401\\)`,
      ),
    );
    const anonymous = await runCli(['pull', `${registry.host}/policies/tok:v1`], { env: noDocker });
    assert.equal(anonymous.status, 2, anonymous.stderr);
    assert.match(
      anonymous.stderr,
      new RegExp(`registry ${registry.host}: fetching the manifest policies/tok:v1: the registry refused anonymous access \\(HTTP 401\\)`),
    );
  });

  it("takes credentials from Docker's config.json: auths, identity tokens and credential helpers", async () => {
    const bundle = await writeBundle(dir, 'docker', 'rev-docker');
    const bin = join(dir, 'bin');
    await mkdir(bin, { recursive: true });
    // A credential helper speaks docker's protocol: `get`, the server on standard input, JSON out.
    const helper = join(bin, 'docker-credential-portcullis-test');
    await writeFile(
      helper,
      `#!/bin/sh\nserver=$(cat)\nif [ "$1" = get ] && [ "$server" = "${registry.host}" ]; then\n  printf '{"ServerURL":"%s","Username":"carol","Secret":"from-a-helper"}' "$server"\n  exit 0\nfi\necho "credentials not found in native keychain"\nexit 1\n`,
    );
    await chmod(helper, 0o755);
    const configs: Record<string, unknown> = {
      auths: { auths: { [`https://${registry.host}`]: { auth: Buffer.from('bob:hunter2').toString('base64') } } },
      identity: { auths: { [registry.host]: { identitytoken: REFRESH_TOKEN } } },
      helper: { auths: { [registry.host]: {} }, credHelpers: { [registry.host]: 'portcullis-test' } },
    };
    const expected: Record<string, string> = { auths: 'bob', identity: 'dave', helper: 'carol' };
    for (const [name, config] of Object.entries(configs)) {
      const configDir = join(dir, `docker-${name}`);
      await mkdir(configDir, { recursive: true });
      await writeFile(join(configDir, 'config.json'), JSON.stringify(config));
      const seen = requests.length;
      const run = await runCli(['push', bundle, `${registry.host}/policies/docker:${name}`], {
        env: { DOCKER_CONFIG: configDir, PATH: `${bin}:${process.env['PATH'] ?? ''}` },
      });
      assert.equal(run.status, 0, `${name}: ${run.stderr}`);
      assert.ok(
        requests.slice(seen).some((r) => r.user === expected[name]),
        `${name}: ${JSON.stringify(requests.slice(seen))}`,
      );
    }
    const flag = join(dir, 'docker-auths', 'config.json');
    const viaFlag = await runCli(['pull', `${registry.host}/policies/docker:auths`, '--registry-config', flag, '-o', join(dir, 'via-flag.tar.gz')], {
      env: noDocker,
    });
    assert.equal(viaFlag.status, 0, viaFlag.stderr);
  });
});

/** The caller: a user name for valid credentials, undefined for none, false for wrong ones. */
function identify(authorization: string | undefined, form: URLSearchParams): string | undefined | false {
  if (form.get('grant_type') === 'refresh_token') return form.get('refresh_token') === REFRESH_TOKEN ? 'dave' : false;
  if (!authorization?.startsWith('Basic ')) return undefined;
  const [user, password] = Buffer.from(authorization.slice(6), 'base64').toString('utf8').split(/:(.*)/s) as [string, string];
  return USERS[user] === password ? user : false;
}
