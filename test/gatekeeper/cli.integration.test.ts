import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import request from 'supertest';
import { CLI, REPO } from '../helpers/processes.js';
import { admissionApp } from './admission-fixture.js';

const cli = (args: readonly string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: REPO, encoding: 'utf8' });

describe('portcullis gatekeeper and certs', () => {
  it('gatekeeper prints one YAML stream: Provider, 4 templates, constraints from the example settings', () => {
    const run = cli([
      'gatekeeper',
      '--settings',
      'examples/policy/settings.yaml',
      '--provider-url',
      'https://portcullis.security.svc:8443/v1/gatekeeper/provider',
    ]);
    assert.equal(run.status, 0, run.stderr);
    const docs = parseAllDocuments(run.stdout).map((d) => d.toJS() as { kind: string; metadata: { name: string }; spec: Record<string, unknown> });
    assert.equal(docs[0]?.kind, 'Provider');
    assert.equal(docs[0]?.spec['url'], 'https://portcullis.security.svc:8443/v1/gatekeeper/provider');
    assert.equal(docs.filter((d) => d.kind === 'ConstraintTemplate').length, 4);
    const actions = Object.fromEntries(docs.filter((d) => d.kind.startsWith('Portcullis')).map((d) => [d.metadata.name, d.spec['enforcementAction']]));
    // examples/policy/settings.yaml: require_digest is warn everywhere, mutable tags warn in dev namespaces.
    assert.equal(actions['portcullis-require-digest'], 'warn');
    assert.equal(actions['portcullis-mutable-tag'], 'deny');
    assert.equal(actions['portcullis-mutable-tag-dev'], 'warn');
    assert.match(run.stderr, /note: the Provider has no caBundle/);
  });

  it('gatekeeper exits 2 on a non-https provider URL and on an unreadable settings file', () => {
    assert.equal(cli(['gatekeeper', '--provider-url', 'http://portcullis:8480']).status, 2);
    const missing = cli(['gatekeeper', '--settings', 'no/such/settings.yaml']);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /settings file no\/such\/settings\.yaml cannot be read/);
  });

  it('certs makes a CA and a serving certificate for the Service names; gatekeeper --ca-bundle embeds the CA', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portcullis-certs-cli-'));
    const run = cli(['certs', '--out', join(dir, 'tls'), '--service', 'portcullis', '--namespace', 'security', '--client', 'gatekeeper']);
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual((await readdir(join(dir, 'tls'))).sort(), ['ca.crt', 'ca.key', 'client.crt', 'client.key', 'tls.crt', 'tls.key']);
    assert.equal((await stat(join(dir, 'tls', 'tls.key'))).mode & 0o777, 0o600);
    const x509 = spawnSync('openssl', ['x509', '-in', join(dir, 'tls', 'tls.crt'), '-noout', '-ext', 'subjectAltName'], { encoding: 'utf8' });
    assert.match(x509.stdout, /DNS:portcullis\.security\.svc, DNS:portcullis, DNS:portcullis\.security, DNS:portcullis\.security\.svc\.cluster\.local/);
    const verify = spawnSync('openssl', ['verify', '-CAfile', join(dir, 'tls', 'ca.crt'), join(dir, 'tls', 'tls.crt')], { encoding: 'utf8' });
    assert.equal(verify.status, 0, verify.stderr);
    const again = cli(['certs', '--out', join(dir, 'tls'), '--service', 'portcullis']);
    assert.equal(again.status, 2, 'never overwrites a CA');
    assert.match(again.stderr, /already exists/);
    const out = join(dir, 'manifests');
    const generated = cli(['gatekeeper', '--ca-bundle', join(dir, 'tls', 'ca.crt'), '--out', out]);
    assert.equal(generated.status, 0, generated.stderr);
    const provider = parseAllDocuments(await readFile(join(out, 'provider.yaml'), 'utf8'))[0]?.toJS() as { spec: { caBundle: string } };
    assert.equal(Buffer.from(provider.spec.caBundle, 'base64').toString('utf8'), await readFile(join(dir, 'tls', 'ca.crt'), 'utf8'));
    assert.deepEqual((await readdir(join(out, 'templates'))).length, 4);
  });

  it('gatekeeper --out removes constraints the settings no longer produce, and only its own files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portcullis-stale-'));
    await writeFile(join(dir, 'with.yaml'), 'images:\n  allowed_registries: [registry.example.com]\n');
    assert.equal(cli(['gatekeeper', '--settings', join(dir, 'with.yaml'), '--out', join(dir, 'out')]).status, 0);
    assert.ok((await readdir(join(dir, 'out', 'constraints'))).includes('portcullis-registry-not-allowed.yaml'));
    await writeFile(join(dir, 'out', 'constraints', 'team-owned.yaml'), 'kind: K8sRequiredLabels\n');
    const again = cli(['gatekeeper', '--out', join(dir, 'out')]);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stderr, /removed constraints\/portcullis-registry-not-allowed\.yaml/);
    assert.deepEqual((await readdir(join(dir, 'out', 'constraints'))).sort(), [
      'portcullis-mutable-tag.yaml',
      'portcullis-require-digest.yaml',
      'portcullis-scan-verdict.yaml',
      'team-owned.yaml',
    ]);
  });

  it('certs without a name is a usage error', () => {
    const run = cli(['certs', '--out', join(tmpdir(), 'portcullis-unused')]);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /--service NAME/);
  });

  it('GET /v1/gatekeeper/manifests.yaml serves the same manifests from the configured settings', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portcullis-manifests-'));
    await writeFile(join(dir, 'settings.yaml'), 'images:\n  allowed_registries: [registry.example.com]\n');
    const app = await admissionApp({ settingsFile: join(dir, 'settings.yaml'), gatekeeper: { scanVerdict: 'warn' } }, false);
    try {
      const res = await request(app.callback).get('/v1/gatekeeper/manifests.yaml');
      assert.equal(res.status, 200);
      assert.match(res.headers['content-type'] ?? '', /^application\/yaml/);
      const docs = parseAllDocuments(res.text).map((d) => d.toJS() as { kind: string; metadata: { name: string }; spec: Record<string, unknown> });
      const registry = docs.find((d) => d.metadata.name === 'portcullis-registry-not-allowed');
      assert.deepEqual(registry?.spec['parameters'], { registries: ['registry.example.com'] });
      assert.equal(docs.find((d) => d.metadata.name === 'portcullis-scan-verdict')?.spec['enforcementAction'], 'warn');
      assert.match(res.text, /^# note: the Provider has no caBundle/);
    } finally {
      app.registry.stop();
    }
  });
});
