// The inventory's HTTP API through the real Koa app on SQLite, with the
// policy stood in (fakes.ts): bad snapshots are refused whole and change
// nothing, what can be skipped is counted, the finding query answers in
// every format and groups, and the CVE-first and image-first views answer or
// say why not. Admission records reviews under their owning workload.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import request from 'supertest';
import { DEFAULT_READ_LIMITS } from '../../src/bundle/index.js';
import { InventoryEngine, recordAdmission, type ImportDependencies, type ServedRevision } from '../../src/inventory/index.js';
import { BundleRegistry, createApp } from '../../src/serve/index.js';
import { openStore, type InventoryStatus, type Store } from '../../src/store/index.js';
import { waitFor } from '../helpers/processes.js';
import { FakeEvaluator, runningInventory, SETTINGS, T0 } from './fakes.js';
import { deployment, DIGEST, list, namespace, pod } from './kubernetes.js';

const logger = pino({ level: 'silent' });
const revision: ServedRevision = { name: 'image-scan', etag: '"e1"', bytes: new Uint8Array(), revision: 'r1', publishedAt: 1 };

const SNAPSHOT = list([
  namespace('prod-shop', { env: 'prod' }),
  namespace('dev-shop', { env: 'dev' }),
  pod('prod-shop', 'web-7c9d5b6f4-x2k8q', [['web', 'web:1', `docker.io/library/web@${DIGEST(1)}`]], { replicaSet: 'web-7c9d5b6f4', hash: '7c9d5b6f4' }),
  pod('prod-shop', 'api-1', [['api', 'api:1', `docker.io/library/api@${DIGEST(2)}`]]),
  pod('dev-shop', 'web-1', [['web', 'web:1', `docker.io/library/web@${DIGEST(1)}`]]),
  { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'prod-shop' } },
]);

describe('the inventory API', () => {
  let store: Store;
  let engine: InventoryEngine;
  let app: ReturnType<ReturnType<typeof createApp>['callback']>;
  let imports: ImportDependencies;

  const status = async (): Promise<InventoryStatus> => store.inventory.status();
  const settled = () => waitFor(async () => ((await status()).pending_units === 0 && (await status()).revision_etag !== null ? true : undefined), 5000);
  const post = (doc: unknown, query = 'cluster=c1') =>
    request(app).post(`/v1/inventory?${query}`).set('Content-Type', 'application/json').send(JSON.stringify(doc));

  before(async () => {
    store = await openStore({ driver: 'sqlite', path: join(await mkdtemp(join(tmpdir(), 'portcullis-inventory-api-')), 'db.sqlite') });
    engine = new InventoryEngine({ store, revision: () => revision, evaluator: new FakeEvaluator(), clock: () => new Date(T0), logger, settings: SETTINGS });
    await engine.start();
    imports = { engine, revision: () => revision, policy: () => Promise.reject(new Error('no operator reports here')) };
    const inventory = runningInventory(engine, imports, 1024 * 1024);
    const registry = new BundleRegistry({ limits: DEFAULT_READ_LIMITS, logger, rescanIntervalMs: 60_000 });
    app = createApp({ registry, logger, inventory }).callback();
  });
  after(async () => {
    await engine.stop();
    await store.close();
  });

  it('refuses a cluster never seen without new_cluster, then imports with it and counts what it skipped', async () => {
    const refused = await post(SNAPSHOT);
    assert.equal(refused.status, 400);
    assert.match(refused.body.message, /cluster 'c1' has never been seen/);
    assert.equal((await status()).clusters.length, 0, 'nothing written');
    const res = await post(SNAPSHOT, 'cluster=c1&new_cluster=true');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.kind, 'snapshot');
    assert.deepEqual(res.body.running, { added: 3, updated: 0, unchanged: 0, gone: 0 });
    assert.deepEqual(
      res.body.warnings.map((w: { code: string; count: number }) => [w.code, w.count]),
      [['unknown_kind', 1]],
    );
    await settled();
  });

  it('answers a duplicate snapshot with duplicate: true and a warning, changing nothing', async () => {
    const before_ = await status();
    const res = await post(SNAPSHOT);
    assert.equal(res.status, 200);
    assert.equal(res.body.duplicate, true);
    assert.ok(res.body.warnings.some((w: { code: string }) => w.code === 'duplicate_snapshot'));
    assert.deepEqual(await status(), before_);
  });

  it('refuses malformed and partial lists whole, naming the item, and changes nothing', async () => {
    const before_ = await status();
    const findingsBefore = (await request(app).get('/v1/findings?state=all&limit=1000')).body.findings;
    const cases: [unknown, RegExp][] = [
      [{ kind: 'List', items: {} }, /items/],
      [{ kind: 'Pod', metadata: { name: 'x' } }, /not a list|List/],
      [{ ...SNAPSHOT, metadata: { continue: 'abc' } }, /continue|paginated|whole/],
      [
        list([pod('prod-shop', 'ok', [['web', 'web:1', `docker.io/library/web@${DIGEST(1)}`]]), { kind: 'Pod', metadata: { namespace: 'prod-shop' } }]),
        /items\[1\]/,
      ],
      [list([{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'prod-shop' }, spec: { containers: [{ name: 'c' }] } }]), /items\[0\]/],
      [list([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'prod-shop' } }]), /lists no Pods, workloads/],
    ];
    for (const [doc, message] of cases) {
      const res = await post(doc);
      assert.equal(res.status, 400, `${JSON.stringify(doc).slice(0, 120)}: ${res.status} ${JSON.stringify(res.body)}`);
      assert.match(res.body.message, message);
      assert.equal(res.body.code, 'INPUT_INVALID');
    }
    const notJson = await request(app).post('/v1/inventory?cluster=c1').set('Content-Type', 'application/json').send('{"kind": "List", "items": [');
    assert.equal(notJson.status, 400);
    const unknownParam = await post(SNAPSHOT, 'cluster=c1&clusters=c2');
    assert.equal(unknownParam.status, 400);
    assert.match(unknownParam.body.message, /unknown query parameter 'clusters'/);
    assert.deepEqual(await status(), before_, 'no refused import changed the inventory');
    assert.deepEqual((await request(app).get('/v1/findings?state=all&limit=1000')).body.findings, findingsBefore);
  });

  it('answers the finding query as JSON, NDJSON and CSV, groups with counts, and pages with a cursor', async () => {
    const all = await request(app).get('/v1/findings?limit=1000');
    assert.equal(all.status, 200);
    assert.equal(all.body.total, 3, 'one finding per running container');
    assert.ok(all.body.findings.every((f: { revision: string }) => f.revision === 'r1'));
    const traced = all.body.findings.find((f: { namespace: string; container: string }) => f.namespace === 'prod-shop' && f.container === 'web');
    assert.deepEqual([traced.workload_kind, traced.workload_name], ['Deployment', 'web'], 'the pod is traced to its Deployment');

    const first = await request(app).get('/v1/findings?limit=2&sort=namespace');
    assert.equal(first.body.findings.length, 2);
    assert.ok(first.body.next_cursor);
    assert.equal(first.headers['x-next-cursor'], first.body.next_cursor);
    const second = await request(app).get(`/v1/findings?limit=2&sort=namespace&cursor=${first.body.next_cursor}`);
    assert.equal(second.body.findings.length, 1);
    assert.equal(second.body.next_cursor, undefined);
    assert.equal(new Set([...first.body.findings, ...second.body.findings].map((f: { id: number }) => f.id)).size, 3);

    const ndjson = await request(app).get('/v1/findings?format=ndjson&namespace=prod-*');
    assert.match(ndjson.headers['content-type'] ?? '', /application\/x-ndjson/);
    assert.equal(
      ndjson.text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown).length,
      2,
    );
    const csv = await request(app).get('/v1/findings').set('Accept', 'text/csv');
    assert.match(csv.headers['content-type'] ?? '', /text\/csv/);
    assert.match(csv.text.split('\n')[0] ?? '', /^id,state,enforcement,severity,rule,vulnerability_id/);
    assert.equal(csv.text.trim().split('\n').length, 4);

    const grouped = await request(app).get('/v1/findings?group_by=namespace');
    assert.equal(grouped.status, 200);
    assert.deepEqual(
      grouped.body.groups.map((g: { key: { namespace: string }; findings: number; deny: number; workloads: number }) => [
        g.key.namespace,
        g.findings,
        g.deny,
        g.workloads,
      ]),
      [
        ['prod-shop', 2, 2, 2],
        ['dev-shop', 1, 1, 1],
      ],
    );
    const byCve = await request(app).get('/v1/findings?group_by=cve&format=csv');
    assert.match(byCve.text.split('\n')[0] ?? '', /findings,deny,warn,max_severity,workloads/);

    const typo = await request(app).get('/v1/findings?namespce=prod');
    assert.equal(typo.status, 400);
    assert.match(typo.body.message, /unknown query parameter 'namespce'/);
  });

  it('answers the CVE-first view for what runs, 404 for what does not, 400 for a malformed query', async () => {
    const view = await request(app).get('/v1/vulnerabilities/base-0001');
    assert.equal(view.status, 200, JSON.stringify(view.body));
    assert.deepEqual(
      view.body.images.map((i: { digest: string; workloads: number; namespaces: number }) => [i.digest, i.workloads, i.namespaces]),
      [[DIGEST(1), 2, 2]],
    );
    assert.deepEqual(
      view.body.namespaces.map((n: { namespace: string; environment: string }) => [n.namespace, n.environment]),
      [
        ['dev-shop', 'dev'],
        ['prod-shop', 'prod'],
      ],
    );
    assert.deepEqual(view.body.fixed_versions, ['2']);
    assert.equal(view.body.first_seen, new Date(T0).toISOString());
    assert.deepEqual(view.body.counts, { findings: 2, packages: 1, images: 1, namespaces: 2, workloads: 2 });
    assert.equal(view.body.truncated, false);
    const cut = await request(app).get('/v1/vulnerabilities/base-0001?limit=1');
    assert.equal(cut.status, 200);
    assert.deepEqual([cut.body.namespaces.length, cut.body.workloads.length, cut.body.truncated], [1, 1, true]);
    assert.deepEqual(cut.body.counts, view.body.counts, 'the counts cover the whole lists');
    assert.equal((await request(app).get('/v1/vulnerabilities/base-0001?limit=1001')).status, 400);
    const missing = await request(app).get('/v1/vulnerabilities/CVE-1999-0001');
    assert.equal(missing.status, 404);
    assert.match(missing.body.message, /no running workload has a finding for CVE-1999-0001/);
    const bad = await request(app).get('/v1/vulnerabilities/base-0001?state=closed');
    assert.equal(bad.status, 400);
  });

  it('answers the image-first view: evaluations per namespace context, where it runs, its findings', async () => {
    const view = await request(app).get(`/v1/images/${DIGEST(1)}`);
    assert.equal(view.status, 200, JSON.stringify(view.body));
    assert.deepEqual(view.body.evaluations.map((e: { environment: string; revision: string }) => [e.environment, e.revision]).sort(), [
      ['dev', 'r1'],
      ['prod', 'r1'],
    ]);
    assert.equal(view.body.running.length, 2);
    assert.equal(view.body.findings.total, 2);
    assert.deepEqual(view.body.scans, []);
    assert.equal((await request(app).get(`/v1/images/${DIGEST(9)}`)).status, 404);
    assert.equal((await request(app).get('/v1/images/sha256:abc')).status, 400);
  });

  it('records admitted reviews under their owning workload; dry runs leave no trace; a deleted workload is gone', async () => {
    const review = (operation: string, object: unknown, extra: Record<string, unknown> = {}) => ({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: 'u',
        operation,
        namespace: 'prod-shop',
        object: operation === 'DELETE' ? null : object,
        oldObject: operation === 'DELETE' ? object : null,
        ...extra,
      },
    });
    const workloads = async () =>
      (await store.inventory.runningOf({ cluster: 'c1', namespace: 'prod-shop', live: true }, 100))
        .map((r) => `${r.kind}/${r.name}/${r.container}:${r.source}`)
        .sort();
    const before_ = await workloads();
    const owned = pod('prod-shop', 'cache-5d8f9c7b6-abcde', [['redis', 'redis:7', `docker.io/library/redis@${DIGEST(3)}`]], {
      replicaSet: 'cache-5d8f9c7b6',
      hash: '5d8f9c7b6',
    });
    await recordAdmission(imports, review('CREATE', owned, { dryRun: true }));
    assert.deepEqual(await workloads(), before_, 'a dry run leaves no trace');
    await recordAdmission(imports, review('CREATE', owned));
    assert.ok((await workloads()).includes('Deployment/cache/redis:admission'), 'the pod is recorded under its Deployment, through ownerReferences');
    const batch = deployment('prod-shop', 'batch', `registry.example.com/batch@${DIGEST(4)}`, 1);
    await recordAdmission(imports, review('CREATE', batch));
    assert.ok((await workloads()).includes('Deployment/batch/app:admission'));
    await recordAdmission(imports, review('DELETE', batch));
    assert.ok(!(await workloads()).includes('Deployment/batch/app:admission'), 'a deleted workload is gone');
    const gone = await store.inventory.runningOf({ cluster: 'c1', namespace: 'prod-shop', live: false }, 100);
    assert.ok(gone.some((r) => r.name === 'batch' && r.gone_at !== null));
  });
});
