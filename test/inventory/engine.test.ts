import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import {
  findingsHash,
  importInventory,
  InventoryEngine,
  withHash,
  type Evaluator,
  type ImportDependencies,
  type InventorySettings,
  type ServedRevision,
  type UnitOutcome,
  type UnitTask,
} from '../../src/inventory/index.js';
import { openStore, type FindingContent, type Store } from '../../src/store/index.js';
import { waitFor } from '../helpers/processes.js';
import { DIGEST, list, namespace, pod } from './kubernetes.js';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const HOUR = 3_600_000;

/**
 * Stands in for the Wasm policy: a unit's findings depend on the revision,
 * the namespace's environment and the time, like the real library's do, and
 * every evaluation is counted.
 */
class FakeEvaluator implements Evaluator {
  readonly calls: { unit: number; revision: string; now: string; environment: string | null }[] = [];

  async evaluate(revision: ServedRevision, tasks: readonly UnitTask[]): Promise<UnitOutcome[]> {
    return tasks.map((t) => {
      this.calls.push({ unit: t.unitId, revision: revision.revision, now: t.now, environment: t.metadata.environment });
      const findings: FindingContent[] = [finding(`base-${t.digest.slice(-4)}`, 'deny')];
      if (revision.revision === 'r2') findings.push(finding('tightened', 'deny'));
      if (Date.parse(t.now) >= T0 + 24 * HOUR) findings.push(finding('overdue', t.metadata.environment === 'prod' ? 'deny' : 'warn'));
      return { unitId: t.unitId, decision: 'deny', summary: 'fake', violations: findings.length, warnings: 0, findings, hash: findingsHash(findings), ms: 1 };
    });
  }

  async close(): Promise<void> {}
}

function finding(id: string, enforcement: 'deny' | 'warn'): FindingContent {
  return withHash({
    fingerprint: id,
    rule: 'vulnerability_severity',
    enforcement,
    state: 'open',
    severity: 'HIGH',
    severityRank: 4,
    vulnId: id,
    package: 'p',
    installedVersion: '1',
    fixedVersion: '2',
    fixable: true,
    published: null,
    score: null,
    title: '',
    message: id,
    exception: null,
  });
}

const SETTINGS: InventorySettings = {
  admissionCluster: 'c1',
  context: { environmentLabel: 'env', namespaceLabels: {}, clusters: {} },
  unresolvedDigest: 'deny',
  unscanned: 'deny',
  tickIntervalMs: HOUR,
  tickCheckMs: 20,
  pollMs: 20,
  batchSize: 4,
  leaseMs: 60_000,
  eventsEnabled: false,
};

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
    await new Promise((resolve) => setTimeout(resolve, 200));
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
