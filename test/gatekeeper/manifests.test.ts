import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { AppError } from '../../src/core/index.js';
import { generateManifests, manifestsYaml, resolveGatekeeperOptions, type Manifest } from '../../src/gatekeeper/index.js';

const spec = (m: Manifest) => m['spec'] as Record<string, unknown>;
const name = (m: Manifest) => (m['metadata'] as { name: string }).name;

/** Structural schemas have a type at every level (Gatekeeper's v1 templates reject others). */
function assertStructural(schema: Record<string, unknown>, path: string): void {
  assert.equal(typeof schema['type'], 'string', `${path} has no type`);
  for (const [key, child] of Object.entries((schema['properties'] ?? {}) as Record<string, Record<string, unknown>>)) assertStructural(child, `${path}.${key}`);
  if (schema['items']) assertStructural(schema['items'] as Record<string, unknown>, `${path}[]`);
}

describe('Gatekeeper manifest generation', () => {
  it('templates are templates.gatekeeper.sh/v1 with Rego v1 code, the lib and structural schemas', () => {
    const set = generateManifests({});
    assert.deepEqual(set.templates.map(name), ['portcullisimagedigests', 'portcullisallowedregistries', 'portcullismutabletags', 'portcullisscanverdict']);
    for (const t of set.templates) {
      assert.equal(t['apiVersion'], 'templates.gatekeeper.sh/v1');
      const crd = (spec(t)['crd'] as { spec: { names: { kind: string }; validation: { openAPIV3Schema: Record<string, unknown> } } }).spec;
      assert.equal(crd.names.kind.toLowerCase(), name(t));
      assertStructural(crd.validation.openAPIV3Schema, name(t));
      const [target] = spec(t)['targets'] as Array<{
        target: string;
        code: Array<{ engine: string; source: { version: string; rego: string; libs: string[] } }>;
      }>;
      assert.equal(target?.target, 'admission.k8s.gatekeeper.sh');
      assert.equal(target?.code[0]?.engine, 'Rego');
      assert.equal(target?.code[0]?.source.version, 'v1');
      assert.match(target?.code[0]?.source.rego ?? '', new RegExp(`^package ${name(t)}$`, 'm'));
      assert.match(target?.code[0]?.source.libs[0] ?? '', /^package lib\.portcullis\.images$/m);
    }
    assert.match(JSON.stringify(set.templates[3]), /external_data\(\{\\"provider\\": provider, \\"keys\\": keys\}\)/);
  });

  it('maps rule modes to enforcementAction: deny, warn, and off to dryrun', () => {
    const set = generateManifests({ rules: { require_digest: { enforcement: 'off' }, mutable_tag: { enforcement: 'warn' } } });
    const actions = Object.fromEntries(set.constraints.map((c) => [name(c), spec(c)['enforcementAction']]));
    assert.deepEqual(actions, { 'portcullis-require-digest': 'dryrun', 'portcullis-mutable-tag': 'warn', 'portcullis-scan-verdict': 'deny' });
  });

  it('carries mutable tags and allowed registries as parameters; no registry list, no registry constraint', () => {
    const set = generateManifests({ images: { mutable_tags: ['latest', 'edge'], allowed_registries: ['registry.example.com'] } });
    const params = Object.fromEntries(set.constraints.map((c) => [name(c), spec(c)['parameters']]));
    assert.deepEqual(params['portcullis-mutable-tag'], { tags: ['latest', 'edge'] });
    assert.deepEqual(params['portcullis-registry-not-allowed'], { registries: ['registry.example.com'] });
    assert.deepEqual(params['portcullis-scan-verdict'], { provider: 'portcullis', allowUnscanned: false });
    assert.equal(
      generateManifests({}).constraints.some((c) => name(c) === 'portcullis-registry-not-allowed'),
      false,
    );
  });

  it('profiles by namespace get their own constraints; the default profile sets the base mode', () => {
    const set = generateManifests({
      default_environment: 'strict',
      rules: { mutable_tag: { enforcement: 'warn' } },
      environments: [
        { name: 'strict', match: { environments: ['prod'] }, rules: { mutable_tag: { enforcement: 'deny' } } },
        { name: 'dev', match: { namespaces: ['dev-*'] }, rules: { require_digest: { enforcement: 'warn' } } },
      ],
    });
    const byName = new Map(set.constraints.map((c) => [name(c), spec(c)]));
    assert.equal(byName.get('portcullis-mutable-tag')?.['enforcementAction'], 'deny');
    assert.equal(byName.get('portcullis-mutable-tag-dev')?.['enforcementAction'], 'warn');
    assert.equal(byName.get('portcullis-require-digest-dev')?.['enforcementAction'], 'warn');
    assert.deepEqual((byName.get('portcullis-require-digest-dev')?.['match'] as { namespaces: string[] }).namespaces, ['dev-*']);
    assert.ok((byName.get('portcullis-require-digest')?.['match'] as { excludedNamespaces: string[] }).excludedNamespaces.includes('dev-*'));
    assert.match(set.notes.join('\n'), /profile 'strict' matches by environment name/);
  });

  it('refuses namespace globs Gatekeeper cannot match', () => {
    assert.throws(
      () => generateManifests({ environments: [{ name: 'x', match: { namespaces: ['team-*-dev'] } }] }),
      (err: unknown) => err instanceof AppError && err.code === 'CONFIG_INVALID',
    );
  });

  it('the Provider has an https URL, a timeout and the base64 CA bundle', async () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const dir = await mkdtemp(join(tmpdir(), 'portcullis-ca-'));
    await writeFile(join(dir, 'ca.crt'), pem);
    const options = await resolveGatekeeperOptions({
      caFile: join(dir, 'ca.crt'),
      providerUrl: 'https://portcullis.security.svc:8443/v1/gatekeeper/provider',
      timeoutSeconds: 2,
      scanVerdict: 'warn',
    });
    const set = generateManifests({}, options);
    assert.deepEqual(set.provider, {
      apiVersion: 'externaldata.gatekeeper.sh/v1beta1',
      kind: 'Provider',
      metadata: { name: 'portcullis', labels: { 'app.kubernetes.io/managed-by': 'portcullis' } },
      spec: { url: 'https://portcullis.security.svc:8443/v1/gatekeeper/provider', timeout: 2, caBundle: Buffer.from(pem).toString('base64') },
    });
    assert.deepEqual(set.notes, []);
    assert.equal(spec(set.constraints.find((c) => name(c) === 'portcullis-scan-verdict') as Manifest)['enforcementAction'], 'warn');
    await assert.rejects(resolveGatekeeperOptions({ providerUrl: 'http://portcullis:8480/v1/gatekeeper/provider' }), /must be https/);
    await assert.rejects(resolveGatekeeperOptions({ scanVerdict: 'block' }), /deny, warn, dryrun or none/);
    assert.equal(
      generateManifests({}, await resolveGatekeeperOptions({ scanVerdict: 'none' })).constraints.some((c) => name(c) === 'portcullis-scan-verdict'),
      false,
    );
  });

  it('the YAML stream parses back to the same objects, provider and templates first', () => {
    const set = generateManifests({ images: { allowed_registries: ['ghcr.io/example/*'] } });
    const docs = parseAllDocuments(manifestsYaml(set)).map((d) => d.toJS() as Manifest);
    assert.deepEqual(docs, [set.provider, ...set.templates, ...set.constraints]);
  });
});
