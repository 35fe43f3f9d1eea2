// The Helm chart (deploy/helm/portcullis) checked with the real tools: the
// pinned Helm v4 lints and renders it for the default values and for each
// scenario of examples/kubernetes; the rendered workloads meet the restricted
// Pod Security Standard and pass the Gatekeeper constraints portcullis
// generates (gator), and the generated serve configuration loads.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { configFileSchema, loadConfig } from '../../src/config/index.js';
import { gatorBin, generatedWorkspace, run } from '../gatekeeper/tools.js';
import { REPO } from '../helpers/processes.js';
import { podSpecOf, restrictedViolations } from './pss.js';
import { pinnedTool } from '../helpers/tools.js';

type Doc = Record<string, any>;

const CHART = join(REPO, 'deploy', 'helm', 'portcullis');
const EXAMPLES = join(REPO, 'examples', 'kubernetes');
// Not the release namespace the constraints exclude, so that they apply to what is rendered.
const NAMESPACE = 'platform-security';
const SCENARIOS = ['default', 'values-sqlite.yaml', 'values-ha-postgres.yaml', 'values-webhook-gatekeeper.yaml', 'values-oci.yaml'] as const;
type Scenario = (typeof SCENARIOS)[number];

let helm = '';

function helmBin(): Promise<string> {
  return Promise.resolve(pinnedTool('helm'));
}

const valuesArgs = (scenario: Scenario, extra: readonly string[] = []) => [...(scenario === 'default' ? [] : ['-f', join(EXAMPLES, scenario)]), ...extra];

async function template(scenario: Scenario, extra: readonly string[] = []) {
  return run(helm, ['template', 'portcullis', CHART, '--namespace', NAMESPACE, ...valuesArgs(scenario, extra)]);
}

async function rendered(scenario: Scenario, extra: readonly string[] = []): Promise<Doc[]> {
  const result = await template(scenario, extra);
  assert.equal(result.code, 0, `helm template ${scenario}: ${result.stderr}`);
  return parseAllDocuments(result.stdout)
    .map((d) => d.toJS() as Doc | null)
    .filter((d): d is Doc => d !== null);
}

const kind = (docs: Doc[], k: string): Doc[] => docs.filter((d) => d['kind'] === k);
const one = (docs: Doc[], k: string): Doc => {
  const found = kind(docs, k);
  assert.equal(found.length, 1, `one ${k}`);
  return found[0] as Doc;
};
const container = (docs: Doc[]): Doc => one(docs, 'Deployment')['spec'].template.spec.containers[0] as Doc;
const serveConfig = (docs: Doc[]): string => one(docs, 'ConfigMap')['data']['config.yaml'] as string;

describe('the Helm chart', () => {
  before(async () => {
    helm = await helmBin();
  });

  it('is linted clean by helm lint for the default values and every scenario', async () => {
    for (const scenario of SCENARIOS) {
      const lint = await run(helm, ['lint', CHART, '--namespace', NAMESPACE, ...valuesArgs(scenario)]);
      assert.equal(lint.code, 0, `${scenario}: ${lint.stdout}${lint.stderr}`);
      assert.match(lint.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
      assert.doesNotMatch(lint.stdout, /\[ERROR\]/);
    }
  });

  it('renders every workload to meet the restricted Pod Security Standard', async () => {
    for (const scenario of SCENARIOS) {
      const docs = await rendered(scenario);
      const workloads = docs.filter((d) => podSpecOf(d) !== undefined);
      assert.ok(workloads.length > 0, scenario);
      for (const w of workloads) assert.deepEqual(restrictedViolations(podSpecOf(w) as Doc), [], `${scenario}: ${w['kind']} ${w['metadata'].name}`);
      const sc = container(docs)['securityContext'] as Doc;
      assert.equal(sc['readOnlyRootFilesystem'], true, scenario);
    }
  });

  it('passes the Gatekeeper constraints portcullis generates (gator): images pinned by digest, no mutable tags; a tag-only copy does not', async () => {
    const gator = await gatorBin();
    const dir = await generatedWorkspace();
    const templates = (await readdir(join(dir, 'manifests', 'templates'))).filter((f) => !f.includes('scanverdict'));
    const constraints = (await readdir(join(dir, 'manifests', 'constraints'))).filter((f) => !f.includes('scan-verdict'));
    const args = [
      ...templates.flatMap((f) => ['-f', join(dir, 'manifests', 'templates', f)]),
      ...constraints.flatMap((f) => ['-f', join(dir, 'manifests', 'constraints', f)]),
    ];
    for (const scenario of SCENARIOS) {
      const result = await template(scenario);
      const file = join(dir, `${scenario}.rendered.yaml`);
      await writeFile(file, result.stdout);
      const checked = await run(gator, ['test', ...args, '-f', file]);
      assert.equal(checked.code, 0, `${scenario}: ${checked.stdout}${checked.stderr}`);
      assert.equal(checked.stdout.trim(), '', scenario);
    }
    // The same manifests with the image by tag alone: the constraints apply to what the chart renders.
    const unpinned = join(dir, 'unpinned.yaml');
    await writeFile(unpinned, (await template('default')).stdout.replace(/@sha256:[0-9a-f]{64}/, ':latest'));
    const refused = await run(gator, ['test', ...args, '-f', unpinned]);
    assert.equal(refused.code, 1, refused.stdout);
    assert.match(refused.stdout, new RegExp(`apps/v1/Deployment ${NAMESPACE}/portcullis: \\["portcullis-require-digest"\\]`));
    assert.match(refused.stdout, /uses the mutable tag 'latest'/);
  });

  it('refuses an image without a digest, and several replicas on SQLite', async () => {
    const noDigest = await template('default', ['--set', 'image.digest=']);
    assert.notEqual(noDigest.code, 0);
    assert.match(noDigest.stderr, /image[./]digest/);
    const tagged = await template('default', ['--set', 'image.digest=latest']);
    assert.notEqual(tagged.code, 0);
    const replicas = await template('default', ['--set', 'replicaCount=2']);
    assert.notEqual(replicas.code, 0);
    assert.match(replicas.stderr, /replicaCount > 1 needs store.driver postgres/);
    const webhookWithoutCa = await template('default', ['--set', 'admission.webhook.enabled=true']);
    assert.match(webhookWithoutCa.stderr, /caBundle/);
  });

  it('generates a serve configuration that loads, for every scenario', async () => {
    const ociSupported = 'source' in configFileSchema.properties.bundles.properties;
    for (const scenario of SCENARIOS) {
      if (scenario === 'values-oci.yaml' && !ociSupported) continue;
      const dir = await mkdtemp(join(tmpdir(), 'portcullis-chart-config-'));
      await writeFile(join(dir, 'config.yaml'), serveConfig(await rendered(scenario)));
      const config = await loadConfig(
        join(dir, 'config.yaml'),
        {},
        {
          PORTCULLIS_DATABASE_URL: 'postgres://portcullis@db.example.internal/portcullis',
          PORTCULLIS_WEBHOOK_SECRET: 'from-a-secret',
        },
      );
      assert.equal(config.listen.port, 8443, scenario);
      assert.equal(config.stateDir, '/var/lib/portcullis', scenario);
      assert.equal(config.auth.required, true, scenario);
      assert.equal(config.kubernetes.failurePolicy, 'Fail', scenario);
      assert.equal(config.store.driver, scenario === 'values-ha-postgres.yaml' || scenario === 'values-oci.yaml' ? 'postgres' : 'sqlite', scenario);
      assert.equal(config.inventory.workers, 2, `${scenario}: evaluation threads are bounded, not one per node core`);
    }
  });

  it('wires the runtime inventory: the cluster, its environment and the change webhook with its key from a Secret', async () => {
    const ha = await rendered('values-ha-postgres.yaml');
    const dir = await mkdtemp(join(tmpdir(), 'portcullis-chart-inventory-'));
    await writeFile(join(dir, 'config.yaml'), serveConfig(ha));
    const config = await loadConfig(
      join(dir, 'config.yaml'),
      {},
      { PORTCULLIS_DATABASE_URL: 'postgres://db.example.internal/p', PORTCULLIS_WEBHOOK_SECRET: 'k' },
    );
    assert.equal(config.inventory.cluster, 'prod-eu');
    assert.deepEqual(config.inventory.clusters['prod-eu'], { environment: 'prod', labels: { region: 'eu' } });
    assert.equal(config.inventory.webhook?.url, 'https://hooks.example.internal/portcullis');
    assert.deepEqual(Buffer.from(config.inventory.webhook?.secret ?? []).toString(), 'k');
    assert.deepEqual(
      (container(ha)['env'] as Doc[]).find((e) => e['name'] === 'PORTCULLIS_WEBHOOK_SECRET'),
      { name: 'PORTCULLIS_WEBHOOK_SECRET', valueFrom: { secretKeyRef: { name: 'portcullis-webhook', key: 'secret' } } },
    );
    const withoutKey = await template('default', ['--set', 'inventory.webhook.url=https://hooks.example.internal/x']);
    assert.notEqual(withoutKey.code, 0);
    assert.match(withoutKey.stderr, /inventory.webhook.url needs inventory.webhook.secretName/);
  });

  it('keeps state, bundles and TLS material on separate mounts: no volume hides the bundles baked into the image', async () => {
    for (const scenario of SCENARIOS) {
      const docs = await rendered(scenario);
      const mounts = (container(docs)['volumeMounts'] as Doc[]).map((m) => m['mountPath'] as string);
      const dir = /^\s*dir: (\S+)$/m.exec(serveConfig(docs))?.[1];
      for (const mount of mounts) {
        for (const other of mounts) if (mount !== other) assert.ok(!other.startsWith(`${mount}/`), `${scenario}: ${other} is under ${mount}`);
      }
      const state = mounts.find((m) => m === '/var/lib/portcullis');
      assert.ok(state, scenario);
      if (dir === '/usr/share/portcullis/bundles') {
        assert.ok(!mounts.some((m) => dir.startsWith(m)), `${scenario}: a volume is mounted over the baked bundles`);
      } else if (dir) {
        assert.ok(mounts.includes(dir), `${scenario}: the bundle folder ${dir} is a volume`);
      }
    }
  });

  it('wires the store: SQLite on a claim with one replica, PostgreSQL from a Secret with several', async () => {
    const sqlite = await rendered('values-sqlite.yaml');
    assert.equal(one(sqlite, 'Deployment')['spec'].replicas, 1);
    assert.equal(one(sqlite, 'Deployment')['spec'].strategy.type, 'Recreate');
    assert.equal(one(sqlite, 'PersistentVolumeClaim')['metadata'].name, 'portcullis-state');
    assert.equal(one(sqlite, 'PodDisruptionBudget')['spec'].maxUnavailable, 1);
    const ha = await rendered('values-ha-postgres.yaml');
    assert.equal(one(ha, 'Deployment')['spec'].replicas, 3);
    assert.equal(kind(ha, 'PersistentVolumeClaim').length, 0);
    assert.deepEqual(container(ha)['env'][0], {
      name: 'PORTCULLIS_DATABASE_URL',
      valueFrom: { secretKeyRef: { name: 'portcullis-postgres', key: 'url' } },
    });
    assert.equal(one(ha, 'PodDisruptionBudget')['spec'].minAvailable, 2);
    assert.match(serveConfig(ha), /url_env: PORTCULLIS_DATABASE_URL/);
  });

  it('issues the certificate for the Service and every Ingress host, so CI uploads through the Ingress verify', async () => {
    const docs = await rendered('values-ha-postgres.yaml');
    const names = one(docs, 'Certificate')['spec'].dnsNames as string[];
    const hosts = one(docs, 'Ingress')['spec'].rules.map((r: Doc) => r['host'] as string);
    for (const host of hosts) assert.ok(names.includes(host), host);
    assert.ok(names.includes(`portcullis.${NAMESPACE}.svc`));
    const install = await run(helm, ['install', 'portcullis', CHART, '--dry-run=client', '--namespace', NAMESPACE, '-f', join(EXAMPLES, 'values-sqlite.yaml')]);
    assert.equal(install.code, 0, install.stderr);
    assert.match(install.stdout, new RegExp(`portcullis certs --out certs --service portcullis --namespace ${NAMESPACE} --dns portcullis\\.example\\.com`));
  });

  it('registers the webhook and the provider on the Service with their caBundle, never gating its own namespace', async () => {
    const docs = await rendered('values-webhook-gatekeeper.yaml');
    const [hook] = one(docs, 'ValidatingWebhookConfiguration')['webhooks'] as Doc[];
    assert.equal(hook?.['failurePolicy'], 'Fail');
    assert.deepEqual(hook?.['admissionReviewVersions'], ['v1']);
    assert.deepEqual(hook?.['clientConfig'], {
      service: { name: 'portcullis', namespace: NAMESPACE, path: '/v1/admission', port: 443 },
      caBundle: 'Q0FfQlVORExF',
    });
    assert.ok((hook?.['namespaceSelector'].matchExpressions[0].values as string[]).includes(NAMESPACE));
    const provider = one(docs, 'Provider');
    assert.equal(provider['spec'].url, `https://portcullis.${NAMESPACE}.svc:443/v1/gatekeeper/provider`);
    assert.equal(provider['spec'].caBundle, 'Q0FfQlVORExF');
    const config = serveConfig(docs);
    assert.match(config, new RegExp(`provider_url: https://portcullis.${NAMESPACE}.svc:443/v1/gatekeeper/provider`));
    assert.match(config, /require_client_cert: true/);
    const mounts = (container(docs)['volumeMounts'] as Doc[]).map((m) => m['mountPath']);
    assert.ok(mounts.includes('/etc/portcullis/policy'));
  });

  it('renders the other bundle sources: a ConfigMap, and an OCI repository with registry credentials', async () => {
    const fromConfigMap = await rendered('default', ['--set', 'bundles.source=configMap', '--set', 'bundles.configMap.name=portcullis-bundles']);
    const volume = (one(fromConfigMap, 'Deployment')['spec'].template.spec.volumes as Doc[]).find((v) => v['name'] === 'bundles');
    assert.deepEqual(volume, { name: 'bundles', configMap: { name: 'portcullis-bundles' } });
    assert.match(serveConfig(fromConfigMap), /dir: \/srv\/portcullis\/bundles/);
    const oci = serveConfig(await rendered('values-oci.yaml'));
    assert.match(oci, /source: oci:\/\/registry\.example\.com\/policy\/bundles/);
    assert.match(oci, /docker_config: \/etc\/portcullis\/registry\/config\.json/);
  });

  it('validates values against values.schema.json: an unknown driver and a misspelled key are refused', async () => {
    const bad = await template('default', ['--set', 'store.driver=mysql']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /driver/);
    const typo = await template('default', ['--set', 'replicas=2']);
    assert.notEqual(typo.code, 0);
    assert.match(typo.stderr, /replicas/);
  });
});
