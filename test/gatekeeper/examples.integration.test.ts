// examples/kubernetes must stay consistent with the code: the embedded serve
// configuration loads, the webhook and the Provider point at the routes, and
// the portcullis Deployment passes the constraints portcullis generates.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '../../src/config/index.js';
import { generateManifests, resolveGatekeeperOptions } from '../../src/gatekeeper/index.js';
import { REPO } from '../helpers/processes.js';
import { gatorBin, generatedWorkspace, run } from './tools.js';

type Doc = Record<string, any>;
const EXAMPLES = join(REPO, 'examples', 'kubernetes');
const docs = async (file: string): Promise<Doc[]> => parseAllDocuments(await readFile(join(EXAMPLES, file), 'utf8')).map((d) => d.toJS() as Doc);

describe('examples/kubernetes', () => {
  it('the ConfigMap holds a serve configuration that loads, fail-closed, with TLS and the Gatekeeper section', async () => {
    const [configMap] = await docs('config.yaml');
    const dir = await mkdtemp(join(tmpdir(), 'portcullis-example-config-'));
    await writeFile(join(dir, 'config.yaml'), configMap?.['data']['config.yaml']);
    const config = await loadConfig(join(dir, 'config.yaml'), {}, {});
    assert.deepEqual(config.listen, { host: '0.0.0.0', port: 8443 });
    assert.equal(config.tls?.cert, '/etc/portcullis/tls/tls.crt');
    assert.equal(config.kubernetes.failurePolicy, 'Fail');
    assert.equal(config.kubernetes.unscanned, 'deny');
    assert.equal(config.kubernetes.settingsFile, '/etc/portcullis/policy/settings.yaml');
    assert.equal(config.kubernetes.namespaceLabels['payments']?.['portcullis.dev/environment'], 'prod');
  });

  it('the webhook calls /v1/admission with v1 reviews, fails closed and carries a caBundle', async () => {
    const [webhook] = await docs('validating-webhook.yaml');
    const [hook] = webhook?.['webhooks'] as Doc[];
    assert.equal(hook?.['failurePolicy'], 'Fail');
    assert.deepEqual(hook?.['admissionReviewVersions'], ['v1']);
    assert.equal(hook?.['sideEffects'], 'None');
    assert.equal(hook?.['clientConfig'].service.path, '/v1/admission');
    assert.equal(typeof hook?.['clientConfig'].caBundle, 'string');
    const resources = (hook?.['rules'] as Doc[]).flatMap((r) => r['resources'] as string[]);
    for (const r of ['pods', 'deployments', 'statefulsets', 'daemonsets', 'replicasets', 'jobs', 'cronjobs']) assert.ok(resources.includes(r), r);
  });

  it('the Provider is what portcullis gatekeeper generates for the Service URL', async () => {
    const [provider] = await docs('gatekeeper-provider.yaml');
    const [configMap] = await docs('config.yaml');
    const url = /provider_url: (\S+)/.exec(configMap?.['data']['config.yaml'])?.[1];
    const generated = generateManifests({}, await resolveGatekeeperOptions({ providerUrl: url })).provider as Doc;
    assert.deepEqual({ ...provider?.['spec'], caBundle: undefined }, { ...generated['spec'], caBundle: undefined });
    assert.equal(provider?.['apiVersion'], generated['apiVersion']);
    assert.equal(provider?.['metadata'].name, generated['metadata'].name);
  });

  it('gator test: the portcullis Deployment passes the constraints portcullis generates, an unpinned copy does not', async () => {
    const gator = await gatorBin();
    const dir = await generatedWorkspace();
    const templates = (await readdir(join(dir, 'manifests', 'templates'))).filter((f) => !f.includes('scanverdict'));
    const constraints = (await readdir(join(dir, 'manifests', 'constraints'))).filter((f) => !f.includes('scan-verdict'));
    const args = [
      ...templates.flatMap((f) => ['-f', join(dir, 'manifests', 'templates', f)]),
      ...constraints.flatMap((f) => ['-f', join(dir, 'manifests', 'constraints', f)]),
    ];
    // Moved out of the portcullis namespace, which the constraints exclude, so that they apply.
    const text = (await readFile(join(EXAMPLES, 'deployment.yaml'), 'utf8')).replace('namespace: portcullis', 'namespace: apps');
    await writeFile(join(dir, 'deployment.yaml'), text);
    await writeFile(join(dir, 'unpinned.yaml'), text.replace(/@sha256:[0-9a-f]{64}/, ':latest'));
    const pinned = await run(gator, ['test', ...args, '-f', join(dir, 'deployment.yaml')]);
    assert.equal(pinned.code, 0, `${pinned.stdout}${pinned.stderr}`);
    assert.equal(pinned.stdout.trim(), '');
    const unpinned = await run(gator, ['test', ...args, '-f', join(dir, 'unpinned.yaml')]);
    assert.equal(unpinned.code, 1);
    assert.match(unpinned.stdout, /apps\/v1\/Deployment apps\/portcullis: \["portcullis-require-digest"\]/);
    assert.match(unpinned.stdout, /uses the mutable tag 'latest'/);
  });
});
