import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { importInventory, InventoryEngine, type ImportDependencies, type ServedRevision } from '../../src/inventory/index.js';
import { openStore, type Store } from '../../src/store/index.js';
import { FakeEvaluator, HOUR, SETTINGS, T0 } from './fakes.js';
import { waitFor } from '../helpers/processes.js';
import { DIGEST, list, namespace, pod } from './kubernetes.js';

const SNAPSHOT = list([
  namespace('prod-shop', { env: 'prod' }),
  namespace('dev-shop', { env: 'dev' }),
  pod('prod-shop', 'web-1', [['web', 'web:1', `docker.io/library/web@${DIGEST(1)}`]]),
  pod('prod-shop', 'api-1', [['api', 'api:1', `docker.io/library/api@${DIGEST(2)}`]]),
  pod('dev-shop', 'web-1', [['web', 'web:1', `docker.io/library/web@${DIGEST(1)}`]]),
]);

describe('the inventory engine', () => {
  let store: Store;
  let now = T0;
  let revision: ServedRevision = { name: 'image-scan', etag: '"e1"', bytes: new Uint8Array(), revision: 'r1', publishedAt: 1 };
  const evaluator = new FakeEvaluator();
  let engine: InventoryEngine;
  const start = async () => {
    engine = new InventoryEngine({
      store,
      revision: () => revision,
      evaluator,
      clock: () => new Date(now),
      logger: pino({ level: 'silent' }),
      settings: SETTINGS,
    });
    await engine.start();
  };
  const deps = (): ImportDependencies => ({
    engine,
    revision: () => revision,
    policy: () => Promise.reject(new Error('no operator reports here')),
  });
  const settled = () => waitFor(async () => ((await store.inventory.status()).pending_units === 0 ? true : undefined), 5000);
  const open = async (vulnerabilityId?: string) =>
    (
      await store.inventory.queryFindings({
        states: ['open'],
        sort: 'namespace',
        order: 'asc',
        limit: 100,
        now: new Date(now),
        ...(vulnerabilityId ? { vulnerabilityId } : {}),
      })
    ).findings;

  before(async () => {
    store = await openStore({ driver: 'sqlite', path: join(await mkdtemp(join(tmpdir(), 'portcullis-engine-')), 'db.sqlite') });
    await start();
  });
  after(async () => {
    await engine.stop();
    await store.close();
  });

  it('decides each (digest, namespace context) once after an import and fans it out', async () => {
    await importInventory(deps(), Buffer.from(JSON.stringify(SNAPSHOT)), { cluster: 'c1', newCluster: true, allowEmpty: false, source: 'pods.json' });
    await settled();
    assert.equal(evaluator.calls.length, 3, 'web in prod, web in dev, api in prod');
    assert.deepEqual(evaluator.calls.map((c) => c.environment).sort(), ['dev', 'prod', 'prod']);
    assert.equal((await open()).length, 3);
  });

  it('keeps pending work in the store across a restart', async () => {
    await engine.stop();
    const extra = list([...(SNAPSHOT['items'] as unknown[]), pod('prod-shop', 'job-1', [['job', 'job:1', `docker.io/library/job@${DIGEST(3)}`]])]);
    await importInventory(deps(), Buffer.from(JSON.stringify(extra)), { cluster: 'c1', newCluster: false, allowEmpty: false, source: 'pods.json' });
    assert.equal((await store.inventory.status()).pending_units, 1, 'queued while no engine runs');
    await start();
    await settled();
    assert.equal(evaluator.calls.length, 4);
    assert.ok((await open()).some((f) => f.workload_name === 'job-1'));
  });

  it('decides everything again under a new revision, and only once', async () => {
    const before_ = evaluator.calls.length;
    revision = { ...revision, etag: '"e2"', revision: 'r2', publishedAt: 2 };
    engine.revisionPublished();
    await waitFor(async () => ((await open('tightened')).length === 4 ? true : undefined), 5000);
    await settled();
    assert.equal(evaluator.calls.length - before_, 4);
    assert.ok((await open('tightened')).every((f) => f.revision === 'r2'));
  });

  it('decides a digest again when a new scan of it arrives, before anything else', async () => {
    const before_ = evaluator.calls.length;
    await engine.scanStored([DIGEST(1)]);
    await settled();
    assert.equal(evaluator.calls.length - before_, 2, 'the digest runs in two namespace contexts');
  });

  it('re-decides everything when the clock passes the tick interval, so time-based findings appear', async () => {
    assert.equal((await open('overdue')).length, 0);
    const before_ = evaluator.calls.length;
    now = T0 + 25 * HOUR;
    await waitFor(async () => ((await open('overdue')).length === 4 ? true : undefined), 5000);
    await settled();
    assert.equal(evaluator.calls.length - before_, 4);
    assert.deepEqual((await open('overdue')).map((f) => [f.namespace, f.enforcement]).sort(), [
      ['dev-shop', 'warn'],
      ['prod-shop', 'deny'],
      ['prod-shop', 'deny'],
      ['prod-shop', 'deny'],
    ]);
  });

  it('never goes back to an older revision another server still serves', async () => {
    const newer = revision;
    const before_ = evaluator.calls.length;
    revision = { ...revision, etag: '"e1"', revision: 'r1', publishedAt: 1 };
    engine.revisionPublished();
    // Two passes that found nothing to do: the second one began after the older revision was offered.
    await engine.idle();
    await engine.idle();
    assert.equal((await store.inventory.status()).revision, 'r2', 'the newer revision stays recorded');
    assert.equal(evaluator.calls.length, before_, 'nothing decided under the older one');
    revision = newer;
  });

  it('gives admission and the provider the namespace metadata the policy sees', async () => {
    assert.deepEqual(await engine.metadataFor('c1', 'prod-shop'), {
      namespace: 'prod-shop',
      namespace_labels: { 'kubernetes.io/metadata.name': 'prod-shop', env: 'prod' },
      environment: 'prod',
      cluster: 'c1',
      labels: {},
    });
  });
});
